use kiln::prelude::*;

struct A;
struct B;

#[provider]
fn make_a(_b: &B) -> A {
    A
}

#[provider]
fn make_b(_a: &A) -> B {
    B
}

#[handler]
fn hello(_a: &A) -> &'static str {
    "hello"
}

chain! {
    struct App;
    transient { make_a, make_b }
    routes { GET "/" => hello }
}

fn main() {
    let _ = App::new();
}
