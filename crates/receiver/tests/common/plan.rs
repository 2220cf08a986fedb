//! The order of a launch: the unique deliveries, then `duplicates` repeats
//! of earlier ones, shuffled deterministically so that a failure can be
//! replayed (a repeat may race its original). Shared by the in-process
//! launch (`load.rs`) and the two-instance launch (`instances.rs`).
#![allow(dead_code, unreachable_pub)]

/// Appends `duplicates` repeats of entries of `plan` (marked by `repeat`)
/// and shuffles the whole with a fixed xorshift sequence.
pub fn with_duplicates_shuffled<T: Clone>(
    mut plan: Vec<T>,
    duplicates: usize,
    repeat: impl Fn(T) -> T,
) -> Vec<T> {
    let unique = plan.len();
    for d in 0..duplicates {
        plan.push(repeat(plan[(d * 7919) % unique].clone()));
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..plan.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        plan.swap(i, (state % (i as u64 + 1)) as usize);
    }
    plan
}
