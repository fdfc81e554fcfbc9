use kiln::prelude::*;

#[handler]
fn post(Path((user, post)): Path<(u32, u32)>) -> String {
    format!("{user}/{post}")
}

#[handler]
fn one(Path(id): Path<u32>) -> String {
    id.to_string()
}

chain! {
    struct App;
    routes {
        GET "/users/{user}" => post,
        GET "/teams/{team}/users/{user}" => one,
    }
}

fn main() {
    let _ = App::new();
}
