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

    #[allow(
        clippy::too_many_arguments,
        reason = "one argument of each scalar kind"
    )]
    fn print_scalars(
        a: bool,
        b: i8,
        c: i16,
        d: f32,
        e: char,
        f: Color,
        g: Option<u8>,
        s: String,
    ) -> String {
        format!("{a} {b} {c} {d:?} {e:?} {f:?} {g:?} {s}")
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "values derived from n on purpose"
    )]
    fn make_scalars(
        n: i32,
    ) -> (
        bool,
        i8,
        u8,
        i16,
        u16,
        i64,
        f32,
        f64,
        char,
        Color,
        Perms,
        Option<u8>,
        String,
    ) {
        let color = match n.rem_euclid(3) {
            0 => Color::Red,
            1 => Color::Green,
            _ => Color::Blue,
        };
        let mut perms = Perms::empty();
        if n % 2 == 0 {
            perms = perms | Perms::READ;
        }
        if n < 0 {
            perms = perms | Perms::EXEC;
        }
        (
            n % 2 == 0,
            n as i8,
            n as u8,
            n as i16,
            n as u16,
            i64::from(n) * 1_000_000_007,
            n as f32 / 3.0,
            f64::from(n) / 7.0,
            char::from_u32(0x1f600 + (n.unsigned_abs() % 16)).unwrap_or('?'),
            color,
            perms,
            (n > 0).then_some(n as u8),
            n.to_string(),
        )
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
