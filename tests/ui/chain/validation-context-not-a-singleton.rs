use kiln::prelude::*;
use kiln::validate::Valid;

struct Limits {
    max: usize,
}

fn short(name: &str, limits: &Limits) -> garde::Result {
    if name.len() > limits.max { Err(garde::Error::new("too long")) } else { Ok(()) }
}

#[derive(serde::Deserialize, garde::Validate)]
#[garde(context(Limits))]
struct NewUser {
    #[garde(custom(short))]
    name: String,
}

#[handler]
fn register(Valid(Json(user)): Valid<Json<NewUser>>) -> String {
    user.name
}

chain! {
    struct App;
    routes { POST "/users" => register }
}

fn main() {}
