//! A tenant's rate limit: a token bucket of requests.
//!
//! The bucket holds up to `burst` requests and refills at `rate` per second; a
//! request takes one. An empty bucket refuses the request and says how long until it
//! holds one again (the `Retry-After` of the 429 answer).

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(burst: f64) -> Self {
        Bucket {
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one request, or says how long until one may be taken.
    pub fn take(&mut self, rate: f64, burst: f64, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn refills_at_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(2.0);
        assert!(bucket.take(1.0, 2.0, start).is_ok());
        assert!(bucket.take(1.0, 2.0, start).is_ok());
        let wait = bucket.take(1.0, 2.0, start).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(
            bucket
                .take(1.0, 2.0, start + Duration::from_millis(1100))
                .is_ok()
        );
        // It never holds more than the burst, however long it rested.
        let later = start + Duration::from_hours(1);
        assert!(bucket.take(1.0, 2.0, later).is_ok());
        assert!(bucket.take(1.0, 2.0, later).is_ok());
        assert!(bucket.take(1.0, 2.0, later).is_err());
    }
}
