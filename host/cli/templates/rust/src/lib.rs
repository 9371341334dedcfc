//! {{name}}: a Wask task. Each export of the world in wit/world.wit is a function of
//! the `Guest` trait that wit-bindgen generates; `host build .` makes the component.

wit_bindgen::generate!({ path: "wit", world: "{{name}}" });

struct Task;

impl Guest for Task {
    fn count_words(text: String) -> u32 {
        u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
    }
}

export!(Task);
