//! The in-memory store behind every route: one lock over plain vectors, which
//! is all a benchmark app needs (the build, not the data, is measured).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

mod accounts;

use crate::model::{
    Address, Category, Line, Location, NewProduct, NewReview, Order, Page, Product, Review,
    SearchQuery, Stats, User,
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
