//! Seed cases 2 and 3 through the library: Monte Carlo π and image processing, each
//! checked against the same kernel computed natively.

use std::path::Path;

use wask::{Runtime, RuntimeConfig, Value};
use wask_kernels::image_filters;
use wask_tests::guests;

fn runtime(n_workers: usize) -> Runtime {
    Runtime::new(RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    })
    .unwrap()
}

fn pi_counts(rt: &Runtime, serial: bool) -> Vec<u64> {
    let pi = rt.load(Path::new(guests::MONTE_CARLO_PI)).unwrap();
    let calls: Vec<_> = (0..8u64)
        .map(|seed| {
            pi.call("sample", vec![Value::U64(seed), Value::U64(1_000_000)])
                .unwrap()
        })
        .collect();
    let values = if serial {
        calls
            .into_iter()
            .map(|c| rt.get(&rt.submit(c).unwrap(), None).unwrap())
            .collect()
    } else {
        let refs: Vec<_> = calls.into_iter().map(|c| rt.submit(c).unwrap()).collect();
        rt.get_all(&refs, None).unwrap()
    };
    values
        .into_iter()
        .map(|v| match v {
            Value::U64(n) => n,
            other => panic!("expected a u64 count, got {other:?}"),
        })
        .collect()
}

#[test]
fn pi_from_8_million_samples_is_within_a_hundredth_and_serial_equals_parallel() {
    let serial = pi_counts(&runtime(1), true);
    let parallel = pi_counts(&runtime(2), false);
    assert_eq!(serial, parallel);
    let native: Vec<u64> = (0..8)
        .map(|seed| wask_kernels::monte_carlo::sample(seed, 1_000_000))
        .collect();
    assert_eq!(serial, native, "wasm and native kernels agree");
    let inside: u64 = serial.iter().sum();
    let pi = 4.0 * inside as f64 / 8_000_000.0;
    assert!((pi - std::f64::consts::PI).abs() < 0.01, "pi estimate {pi}");
}

#[test]
fn image_output_matches_the_native_reference_pixel_for_pixel() {
    let rt = runtime(2);
    let filters = rt.load(Path::new(guests::IMAGE_FILTERS)).unwrap();
    let inputs: Vec<Vec<u8>> = (0..3)
        .map(|i| wask_kernels::sample_images::sample_png(i, 256))
        .collect();
    let refs: Vec<_> = inputs
        .iter()
        .map(|png| {
            rt.submit(
                filters
                    .call("grayscale-blur", vec![Value::bytes(png)])
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    for (png, object) in inputs.iter().zip(&refs) {
        let value = rt.get(object, None).unwrap();
        let out = value
            .to_bytes()
            .expect("grayscale-blur returns ok(list<u8>)");
        let got = image_filters::decode(&out).unwrap().to_luma8();
        let reference = image_filters::grayscale_blur_pixels(&image_filters::decode(png).unwrap());
        assert_eq!(got.dimensions(), (256, 256));
        assert_eq!(got.dimensions(), reference.dimensions());
        assert_eq!(checksum(got.as_raw()), checksum(reference.as_raw()));
        assert_eq!(got.as_raw(), reference.as_raw());
    }
}

#[test]
fn a_bad_image_is_an_error_value_not_a_trap() {
    let rt = runtime(1);
    let filters = rt.load(Path::new(guests::IMAGE_FILTERS)).unwrap();
    let object = rt
        .submit(
            filters
                .call("grayscale-blur", vec![Value::bytes(b"not an image")])
                .unwrap(),
        )
        .unwrap();
    match rt.get(&object, None).unwrap() {
        Value::Result(Err(Some(message))) => {
            let Value::String(message) = *message else {
                panic!("expected a string error")
            };
            assert!(message.contains("cannot decode image"), "{message}");
        }
        other => panic!("expected err(..), got {other:?}"),
    }
}

/// FNV-1a over the pixels: a short number to name in a failure message.
fn checksum(pixels: &[u8]) -> u64 {
    pixels.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
