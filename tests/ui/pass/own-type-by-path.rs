use kiln::prelude::*;

mod model {
    /// The application's own `Request` (a friend request).
    pub struct Request {
        pub from: &'static str,
    }
}

#[provider]
fn pending() -> model::Request {
    model::Request { from: "ada" }
}

// `model::Request` is not kiln's request: written with its path, it is
// resolved like any other type (here, a transient provider's).
#[handler]
fn accept(r: &model::Request, req: &Request) -> String {
    format!("{} {}", r.from, req.uri().path())
}

chain! {
    struct App;
    transient { pending }
    routes { POST "/accept" => accept }
}

fn main() {
    let needs = App::new().describe().routes[0].handler.unwrap().needs;
    assert_eq!(needs[0].from, kiln::describe::Source::Transient("pending"));
    assert_eq!(needs[1].from, kiln::describe::Source::Request);
}
