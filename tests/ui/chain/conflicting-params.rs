use kiln::prelude::*;

#[handler]
fn by_id(Path(id): Path<u32>) -> String {
    id.to_string()
}

#[handler]
fn by_name(Path(name): Path<String>) -> String {
    name
}

chain! {
    struct App;
    routes { GET "/users/{id}" => by_id, POST "/users/{name}" => by_name }
}

fn main() {}
