//! Guest task for seed case 2: estimating π by Monte Carlo sampling. A thin wrapper
//! around `wask_kernels::monte_carlo`, the same code the host runs natively.

wit_bindgen::generate!({
    path: "../../wit/monte-carlo-pi.wit",
    world: "monte-carlo-pi",
});

struct MonteCarloPi;

impl Guest for MonteCarloPi {
    fn sample(seed: u64, n: u64) -> u64 {
        wask_kernels::monte_carlo::sample(seed, n)
    }
}

export!(MonteCarloPi);
