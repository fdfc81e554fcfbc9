//! The in-memory store behind every route: one lock over plain vectors, which
//! is all a benchmark app needs (the build, not the data, is measured).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::model::{
    Address, Category, Line, Location, NewProduct, NewReview, Order, OrderFilter, Page, Product,
    Profile, Review, SearchQuery, Stats, User,
};

/// Why a store operation failed; each app maps it to its error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The named thing does not exist (404).
    NotFound(&'static str),
    /// The input breaks a rule (422).
    Invalid(String),
    /// The operation conflicts with the current state (409).
    Conflict(&'static str),
}

#[derive(Default)]
struct Data {
    products: Vec<Product>,
    categories: Vec<Category>,
    reviews: Vec<Review>,
    orders: Vec<Order>,
    users: Vec<User>,
    carts: BTreeMap<u64, Vec<Line>>,
    addresses: BTreeMap<u64, Vec<Address>>,
    wishlists: BTreeMap<u64, Vec<u64>>,
    locations: Vec<Location>,
    subscribers: Vec<String>,
    next_id: u64,
}

impl Data {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn product(&self, id: u64) -> Result<&Product, Failure> {
        self.products
            .iter()
            .find(|p| p.id == id)
            .ok_or(Failure::NotFound("product"))
    }

    fn product_mut(&mut self, id: u64) -> Result<&mut Product, Failure> {
        self.products
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or(Failure::NotFound("product"))
    }

    fn order_mut(&mut self, id: u64) -> Result<&mut Order, Failure> {
        self.orders
            .iter_mut()
            .find(|o| o.id == id)
            .ok_or(Failure::NotFound("order"))
    }

    fn check_category(&self, slug: &str) -> Result<(), Failure> {
        if self.categories.iter().any(|c| c.slug == slug) {
            Ok(())
        } else {
            Err(Failure::Invalid(format!("no category `{slug}`")))
        }
    }
}

/// The shop's data: a singleton in both apps.
pub struct Store(Mutex<Data>);

impl Default for Store {
    /// Two categories, three products, an admin (id 1) and a customer (id 2).
    fn default() -> Self {
        let mut data = Data::default();
        for (slug, name) in [("tools", "Tools"), ("books", "Books")] {
            data.categories.push(Category {
                slug: slug.into(),
                name: name.into(),
            });
        }
        for (name, category, price_cents) in [
            ("hammer", "tools", 1_500),
            ("anvil", "tools", 12_000),
            ("smithing for beginners", "books", 2_900),
        ] {
            let id = data.id();
            data.products.push(Product {
                id,
                name: name.into(),
                category: category.into(),
                price_cents,
                stock: 10,
            });
        }
        for (id, name, admin) in [(1, "ada", true), (2, "bob", false)] {
            data.users.push(User {
                id,
                name: name.into(),
                email: format!("{name}@example.com"),
                admin,
            });
        }
        data.locations.push(Location {
            id: 1,
            city: "Sheffield".into(),
            hours: "9-17".into(),
        });
        data.next_id = data.next_id.max(100);
        Store(Mutex::new(data))
    }
}

impl Store {
    // A panic while holding the lock leaves no half-written record (each write
    // is one push or assignment), so a poisoned lock is still usable.
    fn data(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A page of the catalogue.
    pub fn products(&self, page: &Page) -> Vec<Product> {
        page.of(&self.data().products)
    }

    /// One product.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id.
    pub fn product(&self, id: u64) -> Result<Product, Failure> {
        self.data().product(id).cloned()
    }

    /// Adds a product.
    ///
    /// # Errors
    /// [`Failure::Invalid`] for an unknown category or an empty name.
    pub fn create_product(&self, new: NewProduct) -> Result<Product, Failure> {
        let mut data = self.data();
        data.check_category(&new.category)?;
        if new.name.trim().is_empty() {
            return Err(Failure::Invalid("a product needs a name".into()));
        }
        let id = data.id();
        let product = Product {
            id,
            name: new.name,
            category: new.category,
            price_cents: new.price_cents,
            stock: new.stock,
        };
        data.products.push(product.clone());
        Ok(product)
    }

    /// Replaces a product's fields.
    ///
    /// # Errors
    /// [`Failure::NotFound`], or [`Failure::Invalid`] for an unknown category.
    pub fn update_product(&self, id: u64, new: NewProduct) -> Result<Product, Failure> {
        let mut data = self.data();
        data.check_category(&new.category)?;
        let product = data.product_mut(id)?;
        product.name = new.name;
        product.category = new.category;
        product.price_cents = new.price_cents;
        product.stock = new.stock;
        Ok(product.clone())
    }

    /// Removes a product.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id.
    pub fn delete_product(&self, id: u64) -> Result<(), Failure> {
        let mut data = self.data();
        let before = data.products.len();
        data.products.retain(|p| p.id != id);
        if data.products.len() == before {
            Err(Failure::NotFound("product"))
        } else {
            Ok(())
        }
    }

    /// Sets a product's stock.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id.
    pub fn set_stock(&self, id: u64, stock: u32) -> Result<Product, Failure> {
        let mut data = self.data();
        let product = data.product_mut(id)?;
        product.stock = stock;
        Ok(product.clone())
    }

    /// Products whose name contains the query.
    pub fn search(&self, query: &SearchQuery) -> Vec<Product> {
        let needle = query.q.to_lowercase();
        self.data()
            .products
            .iter()
            .filter(|p| p.name.to_lowercase().contains(&needle))
            .filter(|p| query.max_price.is_none_or(|max| p.price_cents <= max))
            .cloned()
            .collect()
    }

    /// Every category.
    pub fn categories(&self) -> Vec<Category> {
        self.data().categories.clone()
    }

    /// One category.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown slug.
    pub fn category(&self, slug: &str) -> Result<Category, Failure> {
        self.data()
            .categories
            .iter()
            .find(|c| c.slug == slug)
            .cloned()
            .ok_or(Failure::NotFound("category"))
    }

    /// A page of one category's products.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown slug.
    pub fn category_products(&self, slug: &str, page: &Page) -> Result<Vec<Product>, Failure> {
        self.category(slug)?;
        let data = self.data();
        let products: Vec<Product> = data
            .products
            .iter()
            .filter(|p| p.category == slug)
            .cloned()
            .collect();
        Ok(page.of(&products))
    }

    /// A page of one product's reviews.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown product.
    pub fn reviews(&self, product: u64, page: &Page) -> Result<Vec<Review>, Failure> {
        let data = self.data();
        data.product(product)?;
        let reviews: Vec<Review> = data
            .reviews
            .iter()
            .filter(|r| r.product == product)
            .cloned()
            .collect();
        Ok(page.of(&reviews))
    }

    /// Adds a review.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown product, [`Failure::Invalid`] for
    /// stars outside 1 to 5.
    pub fn add_review(&self, product: u64, author: u64, new: NewReview) -> Result<Review, Failure> {
        if !(1..=5).contains(&new.stars) {
            return Err(Failure::Invalid("`stars` must be 1 to 5".into()));
        }
        let mut data = self.data();
        data.product(product)?;
        let id = data.id();
        let review = Review {
            id,
            product,
            author,
            stars: new.stars,
            text: new.text,
        };
        data.reviews.push(review.clone());
        Ok(review)
    }

    /// Removes a review of `product` written by `author` (or by anyone, for an admin).
    ///
    /// # Errors
    /// [`Failure::NotFound`] when there is no such review the user may delete.
    pub fn delete_review(&self, product: u64, id: u64, user: &User) -> Result<(), Failure> {
        let mut data = self.data();
        let before = data.reviews.len();
        data.reviews.retain(|r| {
            !(r.id == id && r.product == product && (user.admin || r.author == user.id))
        });
        if data.reviews.len() == before {
            Err(Failure::NotFound("review"))
        } else {
            Ok(())
        }
    }

    /// One user.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id.
    pub fn user(&self, id: u64) -> Result<User, Failure> {
        self.data()
            .users
            .iter()
            .find(|u| u.id == id)
            .cloned()
            .ok_or(Failure::NotFound("user"))
    }

    /// The user with this sign-in address.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown address.
    pub fn user_by_email(&self, email: &str) -> Result<User, Failure> {
        self.data()
            .users
            .iter()
            .find(|u| u.email == email)
            .cloned()
            .ok_or(Failure::NotFound("user"))
    }

    /// A page of users.
    pub fn users(&self, page: &Page) -> Vec<User> {
        page.of(&self.data().users)
    }

    /// Changes a user's name and address.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id, [`Failure::Invalid`] for an
    /// address without `@`.
    pub fn update_profile(&self, id: u64, profile: Profile) -> Result<User, Failure> {
        if !profile.email.contains('@') {
            return Err(Failure::Invalid("`email` must contain `@`".into()));
        }
        let mut data = self.data();
        let user = data
            .users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or(Failure::NotFound("user"))?;
        user.name = profile.name;
        user.email = profile.email;
        Ok(user.clone())
    }

    /// A user's cart.
    pub fn cart(&self, user: u64) -> Vec<Line> {
        self.data().carts.get(&user).cloned().unwrap_or_default()
    }

    /// Adds to a user's cart (merging lines of the same product).
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown product.
    pub fn add_to_cart(&self, user: u64, line: Line) -> Result<Vec<Line>, Failure> {
        let mut data = self.data();
        data.product(line.product)?;
        let cart = data.carts.entry(user).or_default();
        match cart.iter_mut().find(|l| l.product == line.product) {
            Some(existing) => existing.quantity += line.quantity,
            None => cart.push(line),
        }
        Ok(cart.clone())
    }

    /// Removes a product from a user's cart.
    ///
    /// # Errors
    /// [`Failure::NotFound`] when the product is not in the cart.
    pub fn remove_from_cart(&self, user: u64, product: u64) -> Result<Vec<Line>, Failure> {
        let mut data = self.data();
        let cart = data.carts.entry(user).or_default();
        let before = cart.len();
        cart.retain(|l| l.product != product);
        if cart.len() == before {
            Err(Failure::NotFound("cart line"))
        } else {
            Ok(cart.clone())
        }
    }

    /// Places an order from `lines`, or from the cart (emptying it) when `lines` is empty.
    ///
    /// # Errors
    /// [`Failure::Invalid`] for nothing to order, [`Failure::NotFound`] for an
    /// unknown product, [`Failure::Conflict`] when stock is short.
    pub fn place_order(&self, user: u64, lines: Vec<Line>) -> Result<Order, Failure> {
        let mut data = self.data();
        let lines = if lines.is_empty() {
            data.carts.remove(&user).unwrap_or_default()
        } else {
            lines
        };
        if lines.is_empty() {
            return Err(Failure::Invalid("nothing to order".into()));
        }
        let mut total_cents = 0;
        for line in &lines {
            let product = data.product(line.product)?;
            if product.stock < line.quantity {
                return Err(Failure::Conflict("not enough stock"));
            }
            total_cents += product.price_cents * u64::from(line.quantity);
        }
        for line in &lines {
            data.product_mut(line.product)?.stock -= line.quantity;
        }
        let id = data.id();
        let order = Order {
            id,
            user,
            lines,
            total_cents,
            status: "placed".into(),
        };
        data.orders.push(order.clone());
        Ok(order)
    }

    /// One order, if `user` placed it or is an admin.
    ///
    /// # Errors
    /// [`Failure::NotFound`] otherwise.
    pub fn order(&self, id: u64, user: &User) -> Result<Order, Failure> {
        self.data()
            .orders
            .iter()
            .find(|o| o.id == id && (user.admin || o.user == user.id))
            .cloned()
            .ok_or(Failure::NotFound("order"))
    }

    /// A page of one user's orders.
    pub fn orders_of(&self, user: u64, page: &Page) -> Vec<Order> {
        let data = self.data();
        let orders: Vec<Order> = data
            .orders
            .iter()
            .filter(|o| o.user == user)
            .cloned()
            .collect();
        page.of(&orders)
    }

    /// A page of all orders, optionally of one status.
    pub fn orders(&self, filter: &OrderFilter) -> Vec<Order> {
        let data = self.data();
        let orders: Vec<Order> = data
            .orders
            .iter()
            .filter(|o| filter.status.as_ref().is_none_or(|s| *s == o.status))
            .cloned()
            .collect();
        let page = Page {
            offset: filter.offset,
            limit: filter.limit,
        };
        page.of(&orders)
    }

    /// Cancels a placed order of `user`'s and puts its stock back.
    ///
    /// # Errors
    /// [`Failure::NotFound`], or [`Failure::Conflict`] once it is no longer `placed`.
    pub fn cancel_order(&self, id: u64, user: &User) -> Result<Order, Failure> {
        let mut data = self.data();
        let order = data.order_mut(id)?;
        if order.user != user.id && !user.admin {
            return Err(Failure::NotFound("order"));
        }
        if order.status != "placed" {
            return Err(Failure::Conflict("only a placed order can be cancelled"));
        }
        order.status = "cancelled".into();
        let order = order.clone();
        for line in &order.lines {
            if let Ok(product) = data.product_mut(line.product) {
                product.stock += line.quantity;
            }
        }
        Ok(order)
    }

    /// Moves an order to another status.
    ///
    /// # Errors
    /// [`Failure::NotFound`], or [`Failure::Invalid`] for an unknown status.
    pub fn set_order_status(&self, id: u64, status: String) -> Result<Order, Failure> {
        const STATUSES: [&str; 5] = ["placed", "paid", "shipped", "delivered", "cancelled"];
        if !STATUSES.contains(&status.as_str()) {
            return Err(Failure::Invalid(format!("unknown status `{status}`")));
        }
        let mut data = self.data();
        let order = data.order_mut(id)?;
        order.status = status;
        Ok(order.clone())
    }

    /// A user's delivery addresses.
    pub fn addresses(&self, user: u64) -> Vec<Address> {
        self.data()
            .addresses
            .get(&user)
            .cloned()
            .unwrap_or_default()
    }

    /// Adds a delivery address.
    ///
    /// # Errors
    /// [`Failure::Invalid`] for a country code that is not two letters.
    pub fn add_address(&self, user: u64, address: Address) -> Result<Vec<Address>, Failure> {
        if address.country.len() != 2 {
            return Err(Failure::Invalid("`country` is a two-letter code".into()));
        }
        let mut data = self.data();
        let list = data.addresses.entry(user).or_default();
        list.push(address);
        Ok(list.clone())
    }

    /// The products on a user's wishlist.
    pub fn wishlist(&self, user: u64) -> Vec<Product> {
        let data = self.data();
        let ids = data.wishlists.get(&user).cloned().unwrap_or_default();
        data.products
            .iter()
            .filter(|p| ids.contains(&p.id))
            .cloned()
            .collect()
    }

    /// Puts a product on a user's wishlist (once).
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown product.
    pub fn wish(&self, user: u64, product: u64) -> Result<Vec<u64>, Failure> {
        let mut data = self.data();
        data.product(product)?;
        let list = data.wishlists.entry(user).or_default();
        if !list.contains(&product) {
            list.push(product);
        }
        Ok(list.clone())
    }

    /// The physical shops.
    pub fn locations(&self) -> Vec<Location> {
        self.data().locations.clone()
    }

    /// One physical shop.
    ///
    /// # Errors
    /// [`Failure::NotFound`] for an unknown id.
    pub fn location(&self, id: u64) -> Result<Location, Failure> {
        self.data()
            .locations
            .iter()
            .find(|l| l.id == id)
            .cloned()
            .ok_or(Failure::NotFound("shop"))
    }

    /// Adds a newsletter subscriber.
    ///
    /// # Errors
    /// [`Failure::Invalid`] without `@`, [`Failure::Conflict`] when already subscribed.
    pub fn subscribe(&self, email: String) -> Result<(), Failure> {
        if !email.contains('@') {
            return Err(Failure::Invalid("`email` must contain `@`".into()));
        }
        let mut data = self.data();
        if data.subscribers.contains(&email) {
            return Err(Failure::Conflict("already subscribed"));
        }
        data.subscribers.push(email);
        Ok(())
    }

    /// Counts of everything.
    pub fn stats(&self) -> Stats {
        let data = self.data();
        Stats {
            products: data.products.len(),
            orders: data.orders.len(),
            users: data.users.len(),
            reviews: data.reviews.len(),
            subscribers: data.subscribers.len(),
        }
    }
}
