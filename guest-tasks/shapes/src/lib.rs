//! Guest task with a function of every WIT shape (see wit/shapes.wit): echoes, and
//! bytes in and out beside other values.

wit_bindgen::generate!({
    path: "../../wit/shapes.wit",
    world: "shapes",
});

struct Shapes;

impl Guest for Shapes {
    fn echo_point(p: Point) -> Point {
        p
    }

    fn echo_shape(s: Shape) -> Shape {
        s
    }

    fn echo_color(c: Color) -> Color {
        c
    }

    fn echo_perms(p: Perms) -> Perms {
        p
    }

    fn echo_f32(x: f32) -> f32 {
        x
    }

    fn echo_f64(x: f64) -> f64 {
        x
    }

    fn echo_char(c: char) -> char {
        c
    }

    fn echo_string(s: String) -> String {
        s
    }

    fn echo_u64(n: u64) -> u64 {
        n
    }

    fn echo_option(o: Option<u32>) -> Option<u32> {
        o
    }

    fn echo_result(r: Result<u32, String>) -> Result<u32, String> {
        r
    }

    fn echo_blob(b: Blob) -> Blob {
        b
    }

    fn echo_strings(s: Vec<String>) -> Vec<String> {
        s
    }

    fn byte_count(data: Vec<u8>) -> u64 {
        data.len() as u64
    }

    fn tagged_count(tag: String, data: Vec<u8>, extra: u32) -> (String, u64) {
        (tag, data.len() as u64 + u64::from(extra))
    }

    fn make_bytes(n: u32) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    fn string_len(s: String) -> u32 {
        u32::try_from(s.len()).unwrap_or(u32::MAX)
    }

    fn make_string(n: u32) -> String {
        "x".repeat(n as usize)
    }

    fn blob_size(b: Blob) -> u64 {
        (b.name.len() + b.data.len()) as u64
    }

    fn concat(s: String, data: Vec<u8>) -> Vec<u8> {
        let mut out = s.into_bytes();
        out.extend_from_slice(&data);
        out
    }

    fn strip_prefix(data: Vec<u8>, prefix: String) -> Result<Vec<u8>, String> {
        data.strip_prefix(prefix.as_bytes())
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("the data does not start with {prefix:?}"))
    }

    fn chunks(data: Vec<u8>, size: u32) -> Vec<Vec<u8>> {
        data.chunks(size.max(1) as usize)
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn join(parts: Vec<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            out.push(part.len() as u8);
            out.extend_from_slice(&part);
        }
        out
    }

    fn describe(s: Shape, tag: Option<String>, p: Perms) -> String {
        format!("{s:?} {tag:?} {p:?}")
    }

    fn four_points(a: Point, b: Point, c: Point, d: Point) -> (i64, u32) {
        let points = [a, b, c, d];
        let sum = points.iter().map(|p| i64::from(p.x) + i64::from(p.y)).sum();
        let labels = points
            .iter()
            .map(|p| p.label.as_ref().map_or(0, String::len))
            .sum::<usize>();
        (sum, u32::try_from(labels).unwrap_or(u32::MAX))
    }
}

export!(Shapes);
