//! [`Session`]: a compiled D program loaded into the kernel, from `Session::load` to drop.
//!
//! Loading runs in three passes so failures come as early and as cheaply as possible:
//!
//! 1. every program goes through the verifier, before anything is attached, so a rejected clause
//!    never leaves the others half-running;
//! 2. `map_inits` are written, so no probe ever sees an uninitialised map;
//! 3. every program is attached as its plan says; `BEGIN` and `END` programs are only loaded,
//!    and [`Session::run_begin`] and [`Session::run_end`] run them.
//!
//! Reading what the programs write lives in `events` (the ring buffer and drop counters) and
//! `aggregate` (aggregations).

use std::collections::{HashMap, HashSet};
use std::os::fd::OwnedFd;

use aya::maps::Map;
use aya::{Btf, Ebpf, EbpfLoader, VerifierLogLevel};
use aya_obj::generated::bpf_attach_type;
use tracer_ebpf::layout::{Activity, STATE_MAP};
use tracer_ebpf::plan::{Attach, CompiledProgram, ProgramPlan};

use crate::attach::own_load::OwnObject;
use crate::attach::{self, Link};
use crate::error::EngineError;
use crate::maps::{BPF_ANY, RawMap};
use crate::perfbuf::PerfRecords;
use crate::ringbuf::RingBuffer;
use crate::tracefs;

/// A loaded D program: its maps, its programs and their attachments.
///
/// Dropping the session detaches every probe and then frees the programs and maps.
pub struct Session {
    /// Live attachments; cleared by [`Session::detach`].
    pub(crate) links: Vec<Link>,
    /// The records ring buffer or per-CPU perf buffers, taken out of `ebpf` so they are mapped
    /// once.
    pub(crate) events: Records,
    /// Its name, for errors.
    pub(crate) events_map: String,
    /// The per-CPU `stats` map's name.
    pub(crate) stats_map: String,
    /// `BEGIN` programs, in plan order.
    begin: Vec<String>,
    /// `END` programs, in plan order.
    end: Vec<String>,
    /// The programs and the other maps.
    pub(crate) ebpf: Ebpf,
}

impl Session {
    /// Loads `compiled`, writes its map initial values and attaches its probes.
    ///
    /// A verifier rejection is [`EngineError::Verifier`], with the program's name and the log.
    pub fn load(compiled: &CompiledProgram) -> Result<Session, EngineError> {
        attach::fbt::check(compiled)?;
        attach::uprobe::check(compiled)?;
        let uses_tracefs = compiled
            .programs
            .iter()
            .any(|plan| matches!(plan.attach, Attach::Tracepoint { .. }));
        if uses_tracefs {
            // aya looks for tracefs once per process, so it must be mounted before then.
            tracefs::tracefs_path()?;
        }
        let mut ebpf = EbpfLoader::new()
            .btf(None)
            .verifier_log_level(VerifierLogLevel::DEBUG | VerifierLogLevel::STATS)
            .load(&compiled.elf)
            .map_err(|error| EngineError::Object(Box::new(error)))?;

        let mut loaded = HashSet::new();
        let mut kernel_btf = None;
        // The object the programs aya cannot load are loaded from, parsed for the first one.
        let mut own_object = None;
        // Programs loaded here rather than by aya (kprobe-multi and uprobe-multi ones), until
        // they are linked.
        let mut own_programs = HashMap::new();
        for plan in &compiled.programs {
            // A program may be planned more than once, to attach it at several probes.
            if !loaded.insert(plan.name.as_str()) {
                continue;
            }
            let own_program = load_program(
                &mut ebpf,
                &compiled.elf,
                plan,
                &mut kernel_btf,
                &mut own_object,
            )?;
            if let Some(fd) = own_program {
                own_programs.insert(plan.name.as_str(), fd);
            }
        }
        // The parsed object is not needed once every program is loaded.
        drop(own_object);
        for init in &compiled.map_inits {
            RawMap::open(&ebpf, &init.map)?.update(&init.key, &init.value, BPF_ANY)?;
        }
        let events = take_records(
            &mut ebpf,
            &compiled.events_map,
            compiled.events_bufsize as usize,
        )?;

        let mut session = Session {
            links: Vec::new(),
            events,
            events_map: compiled.events_map.clone(),
            stats_map: compiled.stats_map.clone(),
            begin: programs_with(compiled, &Attach::Begin),
            end: programs_with(compiled, &Attach::End),
            ebpf,
        };
        for plan in &compiled.programs {
            let links = attach_program(&mut session.ebpf, plan, &own_programs)?;
            session.links.extend(links);
        }
        Ok(session)
    }

    /// Runs every `BEGIN` program once, in plan order, then starts tracing: the activity state
    /// becomes active, unless `BEGIN` called `exit()`.
    pub fn run_begin(&self) -> Result<(), EngineError> {
        self.begin
            .iter()
            .try_for_each(|program| attach::dtrace::run(&self.ebpf, program))?;
        if self.activity()? == Some(Activity::Inactive) {
            self.set_activity(Activity::Active)?;
        }
        Ok(())
    }

    /// Stops tracing (the activity state becomes draining, so only `END` runs), then runs every
    /// `END` program once, in plan order.
    pub fn run_end(&self) -> Result<(), EngineError> {
        self.set_activity(Activity::Draining)?;
        self.end
            .iter()
            .try_for_each(|program| attach::dtrace::run(&self.ebpf, program))
    }

    /// The activity state; `None` for an object without a state map (hand-built test programs).
    fn activity(&self) -> Result<Option<Activity>, EngineError> {
        if self.ebpf.map(STATE_MAP).is_none() {
            return Ok(None);
        }
        let values = RawMap::open(&self.ebpf, STATE_MAP)?.lookup(&0u32.to_ne_bytes())?;
        let state = values
            .and_then(|values| values.into_iter().next())
            .and_then(|value| Some(u32::from_ne_bytes(value.get(..4)?.try_into().ok()?)));
        Ok(Some(match state {
            Some(1) => Activity::Active,
            Some(2) => Activity::Draining,
            _ => Activity::Inactive,
        }))
    }

    fn set_activity(&self, activity: Activity) -> Result<(), EngineError> {
        if self.ebpf.map(STATE_MAP).is_none() {
            return Ok(());
        }
        let value = (activity as u32).to_ne_bytes();
        RawMap::open(&self.ebpf, STATE_MAP)?.update(&0u32.to_ne_bytes(), &value, BPF_ANY)
    }

    /// Detaches every probe; maps stay readable and `END` programs runnable.
    ///
    /// Releasing a tracepoint's BPF link waits for RCU grace periods in the kernel (about 35 to
    /// 70 ms each on Linux 6.18, where syscall tracepoints may fault), so links are released on
    /// one thread each and their waits overlap: 20 tracepoints take about 0.9 s instead of 1.4 s.
    pub fn detach(&mut self) {
        if self.links.len() <= 1 {
            self.links.clear();
            return;
        }
        std::thread::scope(|scope| {
            for link in self.links.drain(..) {
                // When no thread can be started, the closure is dropped and so is the link.
                let _detaching =
                    std::thread::Builder::new().spawn_scoped(scope, move || drop(link));
            }
        });
    }

    /// How many attachments are live: one per tracepoint program, one per CPU per perf program.
    pub fn n_links(&self) -> usize {
        self.links.len()
    }

    /// How many instructions the verifier processed in each loaded program (`verified_insns`, by
    /// program name, sorted), the measure of how hard the generated code is to verify; `None` when
    /// the kernel does not say.
    pub fn verified_instructions(&self) -> Vec<(String, Option<u32>)> {
        let mut counts: Vec<(String, Option<u32>)> = self
            .ebpf
            .programs()
            .map(|(name, program)| {
                let count = program
                    .info()
                    .ok()
                    .and_then(|info| info.verified_instruction_count());
                (name.to_owned(), count)
            })
            .collect();
        counts.sort();
        counts
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("links", &self.links)
            .field("events_map", &self.events_map)
            .field("stats_map", &self.stats_map)
            .field("begin", &self.begin)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Runs the verifier on one program of the object `elf`, as the program type its plan needs;
/// `kernel_btf` is read for the first fentry program. A kprobe-multi or uprobe-multi program,
/// which aya cannot load, is loaded here from `own_object` (parsed for the first one) and its
/// descriptor returned; aya keeps the others.
fn load_program(
    ebpf: &mut Ebpf,
    elf: &[u8],
    plan: &ProgramPlan,
    kernel_btf: &mut Option<Btf>,
    own_object: &mut Option<OwnObject>,
) -> Result<Option<OwnedFd>, EngineError> {
    let mut load_own = |attach_type| {
        let object = match own_object {
            Some(object) => object,
            None => own_object.insert(OwnObject::parse(ebpf, elf)?),
        };
        object.load(&plan.name, attach_type).map(Some)
    };
    let loaded = match &plan.attach {
        Attach::Fentry {
            function,
            is_return,
            ..
        } => {
            let btf = match kernel_btf {
                Some(btf) => btf,
                None => kernel_btf.insert(
                    Btf::from_sys_fs().map_err(|error| EngineError::KernelBtf(Box::new(error)))?,
                ),
            };
            attach::fbt::load(ebpf, btf, &plan.name, function, *is_return)
        }
        Attach::Kprobe { .. } => attach::fbt::load_kprobe(ebpf, &plan.name),
        Attach::KprobeMulti { .. } => {
            return load_own(bpf_attach_type::BPF_TRACE_KPROBE_MULTI);
        }
        Attach::Tracepoint { .. } => attach::tracepoint::load(ebpf, &plan.name),
        Attach::PerfTimer { .. } => attach::perf::load(ebpf, &plan.name),
        Attach::Uprobe { multi: true, .. } => {
            return load_own(bpf_attach_type::BPF_TRACE_UPROBE_MULTI);
        }
        Attach::Uprobe { multi: false, .. } => attach::uprobe::load(ebpf, &plan.name),
        Attach::RawTracepoint { .. } | Attach::Begin | Attach::End => {
            attach::raw_tracepoint::load(ebpf, &plan.name)
        }
    };
    loaded.map(|()| None)
}

/// Attaches one loaded program, found in `own_programs` when the engine loaded it rather than
/// aya; `BEGIN` and `END` have nothing to attach.
fn attach_program(
    ebpf: &mut Ebpf,
    plan: &ProgramPlan,
    own_programs: &HashMap<&str, OwnedFd>,
) -> Result<Vec<Link>, EngineError> {
    match &plan.attach {
        Attach::Tracepoint { category, name } => {
            let link = attach::tracepoint::attach(ebpf, &plan.name, category, name)?;
            Ok(vec![link])
        }
        Attach::RawTracepoint { name } => {
            let link = attach::raw_tracepoint::attach(ebpf, &plan.name, name)?;
            Ok(vec![link])
        }
        Attach::PerfTimer {
            period_ns,
            all_cpus,
        } => attach::perf::attach(ebpf, &plan.name, *period_ns, *all_cpus),
        Attach::Fentry {
            function,
            is_return,
            ..
        } => {
            let link = attach::fbt::attach(ebpf, &plan.name, function, *is_return)?;
            Ok(vec![link])
        }
        Attach::Kprobe {
            function,
            cookie: None,
            ..
        } => {
            let link = attach::fbt::attach_kprobe(ebpf, &plan.name, function)?;
            Ok(vec![link])
        }
        Attach::Kprobe {
            function,
            is_return,
            cookie: Some(cookie),
            ..
        } => {
            let link = attach::cookie::attach(ebpf, &plan.name, function, *is_return, *cookie)?;
            Ok(vec![link])
        }
        Attach::KprobeMulti { is_return, targets } => {
            let fd = own_program(own_programs, &plan.name)?;
            let link = attach::kprobe_multi::attach(fd, &plan.name, *is_return, targets)?;
            Ok(vec![link])
        }
        Attach::Uprobe {
            is_return,
            sites,
            multi: true,
        } => {
            let fd = own_program(own_programs, &plan.name)?;
            attach::uprobe_multi::attach(fd, &plan.name, *is_return, sites)
        }
        Attach::Uprobe {
            is_return,
            sites,
            multi: false,
        } => attach::uprobe::attach(ebpf, &plan.name, *is_return, sites),
        Attach::Begin | Attach::End => Ok(Vec::new()),
    }
}

/// The program `name` the engine loaded itself.
fn own_program<'a>(
    own_programs: &'a HashMap<&str, OwnedFd>,
    name: &str,
) -> Result<&'a OwnedFd, EngineError> {
    own_programs
        .get(name)
        .ok_or_else(|| EngineError::MissingProgram {
            program: name.to_owned(),
        })
}

/// The names of the programs planned as `attach`, in plan order.
fn programs_with(compiled: &CompiledProgram, attach: &Attach) -> Vec<String> {
    compiled
        .programs
        .iter()
        .filter(|plan| plan.attach == *attach)
        .map(|plan| plan.name.clone())
        .collect()
}

/// Where records arrive.
pub(crate) enum Records {
    /// The ring buffer every CPU shares.
    Ring(RingBuffer),
    /// A perf buffer per CPU.
    Perf(PerfRecords),
}

/// Takes the records map `name` out of `ebpf`: a ring buffer, or a perf event array whose
/// per-CPU buffers of `bufsize` bytes are opened now.
fn take_records(ebpf: &mut Ebpf, name: &str, bufsize: usize) -> Result<Records, EngineError> {
    let Some(map) = ebpf.take_map(name) else {
        return Err(EngineError::MissingMap {
            map: name.to_owned(),
        });
    };
    if matches!(map, Map::PerfEventArray(_)) {
        return PerfRecords::open(map, name, bufsize).map(Records::Perf);
    }
    RingBuffer::open(map, name).map(Records::Ring)
}
