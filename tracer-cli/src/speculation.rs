//! What the consumer keeps of each speculation until its `commit()` or `discard()` record arrives.
//!
//! A speculative record (one whose header names a speculation) is kept aside, under its
//! speculation's ID and generation, instead of being printed. The `commit()` record hands back the
//! records kept for that generation, in the order they arrived, to be printed as if they had just
//! arrived (each with its own CPU and probe); the `discard()` record drops them. Either way the
//! consumer then frees the ID in the kernel, so `speculation()` may hand it out again.
//!
//! All CPUs write to one ring buffer, so records arrive in the order they were sent. A clause that
//! called `speculate()` just before another CPU's `commit()` may still send its record after the
//! `commit()` record; the consumer remembers how each ID's last generation ended, and prints or
//! drops such a late record at once. A later use of the ID has another generation, so it never
//! mixes with the earlier one's records.
//!
//! As in DTrace, the records kept for one speculation may take `specsize` bytes in all; a record
//! that would go past that is dropped and counted as a speculative drop.

/// How a speculation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `commit()`: its records are printed.
    Committed,
    /// `discard()`: its records are dropped.
    Discarded,
}

/// What to do with a speculative record that just arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// It is kept until its speculation ends.
    Kept,
    /// Its speculation was already committed: print it now.
    Print,
    /// Its speculation was discarded, or it did not fit in `specsize`.
    Dropped,
}

/// The records one speculation holds.
#[derive(Clone, Debug)]
struct Held {
    generation: u8,
    size: u64,
    records: Vec<Vec<u8>>,
}

/// Every speculation's kept records, by ID.
#[derive(Clone, Debug)]
pub struct Speculations {
    specsize: u64,
    /// Per ID (index 0 unused): the records of its current generation.
    held: Vec<Option<Held>>,
    /// Per ID: the generation that ended last, and how.
    ended: Vec<Option<(u8, Outcome)>>,
    /// Records dropped because their speculation's records would pass `specsize`.
    drops: u64,
}

impl Speculations {
    /// Room for IDs 1 to `nspec`, each holding at most `specsize` bytes of records.
    pub fn new(nspec: u32, specsize: u64) -> Speculations {
        let n_ids = nspec as usize + 1;
        Speculations {
            specsize,
            held: vec![None; n_ids],
            ended: vec![None; n_ids],
            drops: 0,
        }
    }

    /// Takes in a record of speculation `id`, generation `generation`.
    pub fn arrive(&mut self, id: u8, generation: u8, record: &[u8]) -> Arrival {
        let id = usize::from(id);
        if id >= self.held.len() {
            return Arrival::Dropped;
        }
        match self.ended[id] {
            Some((ended, Outcome::Committed)) if ended == generation => return Arrival::Print,
            Some((ended, Outcome::Discarded)) if ended == generation => return Arrival::Dropped,
            _ => {}
        }
        let held = self.held[id].get_or_insert_with(|| Held {
            generation,
            size: 0,
            records: Vec::new(),
        });
        if held.generation != generation {
            // A generation whose end never arrived: nothing will ever print it.
            *held = Held {
                generation,
                size: 0,
                records: Vec::new(),
            };
        }
        let size = record.len() as u64;
        if held.size + size > self.specsize {
            self.drops += 1;
            return Arrival::Dropped;
        }
        held.size += size;
        held.records.push(record.to_vec());
        Arrival::Kept
    }

    /// Ends generation `generation` of speculation `id`: returns its records, to print when it
    /// was committed.
    pub fn end(&mut self, id: u8, generation: u8, outcome: Outcome) -> Vec<Vec<u8>> {
        let id = usize::from(id);
        if id >= self.held.len() {
            return Vec::new();
        }
        self.ended[id] = Some((generation, outcome));
        match self.held[id].take() {
            Some(held) if held.generation == generation && outcome == Outcome::Committed => {
                held.records
            }
            _ => Vec::new(),
        }
    }

    /// Records dropped so far because they did not fit in `specsize`.
    pub fn drops(&self) -> u64 {
        self.drops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_records_come_back_in_order() {
        let mut specs = Speculations::new(2, 1024);
        assert_eq!(specs.arrive(1, 5, b"first"), Arrival::Kept);
        assert_eq!(specs.arrive(2, 1, b"other"), Arrival::Kept);
        assert_eq!(specs.arrive(1, 5, b"second"), Arrival::Kept);
        assert_eq!(
            specs.end(1, 5, Outcome::Committed),
            [b"first".to_vec(), b"second".to_vec()]
        );
        assert_eq!(specs.end(2, 1, Outcome::Discarded), Vec::<Vec<u8>>::new());
        assert_eq!(specs.drops(), 0);
    }

    #[test]
    fn late_records_follow_their_generations_end() {
        let mut specs = Speculations::new(1, 1024);
        specs.end(1, 3, Outcome::Committed);
        assert_eq!(specs.arrive(1, 3, b"late"), Arrival::Print);
        specs.end(1, 4, Outcome::Discarded);
        assert_eq!(specs.arrive(1, 4, b"late"), Arrival::Dropped);
        assert_eq!(specs.arrive(1, 5, b"next use"), Arrival::Kept);
        assert_eq!(specs.end(1, 5, Outcome::Committed), [b"next use".to_vec()]);
    }

    #[test]
    fn a_new_generation_never_sees_an_old_ones_records() {
        let mut specs = Speculations::new(1, 1024);
        assert_eq!(specs.arrive(1, 1, b"old"), Arrival::Kept);
        assert_eq!(specs.arrive(1, 2, b"new"), Arrival::Kept);
        assert_eq!(specs.end(1, 2, Outcome::Committed), [b"new".to_vec()]);
        assert_eq!(specs.end(1, 1, Outcome::Committed), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn records_past_specsize_are_dropped_and_counted() {
        let mut specs = Speculations::new(1, 159);
        assert_eq!(specs.arrive(1, 1, &[0; 72]), Arrival::Kept);
        assert_eq!(specs.arrive(1, 1, &[0; 88]), Arrival::Dropped);
        assert_eq!(specs.arrive(1, 1, &[0; 87]), Arrival::Kept);
        assert_eq!(specs.drops(), 1);
        assert_eq!(specs.end(1, 1, Outcome::Committed).len(), 2);
    }

    #[test]
    fn ids_past_nspec_are_ignored() {
        let mut specs = Speculations::new(1, 1024);
        assert_eq!(specs.arrive(2, 1, b"x"), Arrival::Dropped);
        assert!(specs.end(9, 1, Outcome::Committed).is_empty());
    }
}
