use kiln::prelude::*;

struct Config {
    name: &'static str,
}
struct Greeting(String);

#[provider]
fn greeting(config: &Config) -> Greeting {
    Greeting(format!("hello from {}", config.name))
}

struct Counter(u32);

#[handler]
fn hello(g: &Greeting, c: &Counter) -> String {
    format!("{} #{}", g.0, c.0)
}

chain! {
    struct App;
    singletons { config: Config, greeting: Greeting = greeting, counter: Counter }
    routes { GET "/" => hello }
}

fn main() {
    // `new` takes the given singletons by name; `greeting` is built from `config`.
    let app = App::new(AppSingletons {
        counter: Counter(1),
        config: Config { name: "kiln" },
    });
    assert_eq!(app.greeting().0, "hello from kiln");
}
