//! The store's per-user half: users and profiles, carts, orders, addresses,
//! wishlists.

use super::{Failure, Store};
use crate::model::{Address, Line, Order, OrderFilter, Page, Product, Profile, User};

impl Store {
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
}
