use kiln::prelude::*;

struct UserId(u32);

#[handler]
fn user(Path(id): Path<UserId>) -> String {
    id.0.to_string()
}

chain! {
    struct App;
    routes { GET "/users/{id}" => user }
}

fn main() {
    let _ = App::new();
}
