//! Streaming framing of CloudTrail containers: finds the bytes of each record without parsing
//! them, so that one damaged record never costs the others and memory is bounded by the largest
//! record, not by the file.
//!
//! Shapes recognised (several may follow each other in one file, as concatenated pages do):
//! - an object holding a record array under `Records`, `records` (delivery files, some SIEM
//!   exports) or `Events` (`aws cloudtrail lookup-events` output);
//! - a bare array of records (or of EventBridge events);
//! - top-level objects one after the other: JSON Lines, or a single record or event.
//!
//! The scanner only tracks strings, escapes and nesting. What an item holds is decided by the
//! caller, which parses each item on its own.

use std::io::{self, Read};

/// Keys whose array value is a list of records.
const CONTAINER_KEYS: [&str; 3] = ["Records", "records", "Events"];
/// Keys of non-CloudTrail files whose (possibly large) values are skipped unread.
const SKIPPED_KEYS: [&str; 3] = ["configurationItems", "logFiles", "configurationItem"];
/// Top-level keys remembered for classification.
const MAX_KEYS_KEPT: usize = 64;

/// Bounds that keep a file's cost bounded whatever it holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes read from one file; the rest is not read and the file is reported.
    pub max_file_bytes: u64,
    /// Bytes of one record; a larger record is rejected (and skipped without being held).
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // CloudTrail caps an event at 256 KB and a delivery file at a few hundred MB of text.
        Limits { max_file_bytes: 4 << 30, max_record_bytes: 4 << 20 }
    }
}

/// Where an item was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// An element of a `Records`/`records`/`Events` array.
    Container,
    /// A top-level value or an element of a top-level array.
    TopLevel,
}

/// What the scanner reports, in file order.
pub trait ItemSink {
    /// One item's complete bytes; `index` counts items in the file from 0. Returns false when
    /// the bytes are not valid JSON, so that the scanner can look inside them for the start of
    /// a later record that the damage swallowed.
    fn item(&mut self, index: usize, place: Place, bytes: &[u8]) -> bool;
    /// A framing problem; `index` is the item it concerns, when there is one.
    fn problem(&mut self, index: Option<usize>, reason: String);
}

/// What the whole file turned out to be.
#[derive(Debug, Default)]
pub struct Outline {
    /// Names of the container arrays found (`Records`, `Events`, ...).
    pub containers: Vec<String>,
    /// Keys of top-level objects that were not containers (first few), for classification.
    pub top_keys: Vec<String>,
    /// Items reported.
    pub items: usize,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The read error that ended the scan early (damaged compression, I/O), if any.
    pub read_error: Option<io::Error>,
    /// Set when the file was longer than `max_file_bytes`.
    pub over_limit: bool,
}

/// Scan a stream, reporting each item and problem to `sink`.
pub fn scan<R: Read, S: ItemSink>(r: R, limits: Limits, sink: &mut S) -> Outline {
    let mut sc =
        Scanner { src: Src::new(r, limits.max_file_bytes), limits, out: Outline::default(), sink, lines: true };
    sc.top();
    sc.out.bytes = sc.src.total;
    sc.out.read_error = sc.src.err.take();
    sc.out.over_limit = sc.src.over_limit;
    WINDOW_BUF.with(|w| *w.borrow_mut() = std::mem::take(&mut sc.src.buf));
    sc.out
}

thread_local! {
    /// The read window, reused from file to file on each thread: a fresh one per file is a
    /// fresh mapping of zeroed pages, whose page faults cost more than the scan of a small file.
    static WINDOW_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A byte source with a small window, push-back (for resynchronisation) and a byte limit.
struct Src<R> {
    r: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    total: u64,
    limit: u64,
    over_limit: bool,
    err: Option<io::Error>,
    eof: bool,
}

const WINDOW: usize = 256 << 10;

impl<R: Read> Src<R> {
    fn new(r: R, limit: u64) -> Self {
        let mut buf = WINDOW_BUF.with(|w| std::mem::take(&mut *w.borrow_mut()));
        buf.resize(WINDOW, 0);
        Src { r, buf, pos: 0, len: 0, total: 0, limit, over_limit: false, err: None, eof: false }
    }

    /// The unread bytes of the window, refilled when empty; empty at the end.
    fn window(&mut self) -> &[u8] {
        if self.pos == self.len && !self.eof {
            self.fill();
        }
        &self.buf[self.pos..self.len]
    }

    fn fill(&mut self) {
        self.pos = 0;
        self.len = 0;
        if self.buf.len() < WINDOW {
            self.buf.resize(WINDOW, 0);
        }
        loop {
            if self.total >= self.limit {
                self.over_limit = true;
                self.eof = true;
                return;
            }
            let room = (self.limit - self.total).min(self.buf.len() as u64) as usize;
            match self.r.read(&mut self.buf[..room]) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    self.len = n;
                    self.total += n as u64;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.err = Some(e);
                    self.eof = true;
                    return;
                }
            }
        }
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Put bytes back in front of the unread input (they were read already: not counted again).
    fn push_back(&mut self, bytes: &[u8]) {
        let mut v = Vec::with_capacity(bytes.len() + self.len - self.pos);
        v.extend_from_slice(bytes);
        v.extend_from_slice(&self.buf[self.pos..self.len]);
        self.len = v.len();
        self.pos = 0;
        self.buf = v;
    }

    /// Skip white space (and byte-order marks, NUL padding); the next byte, if any.
    fn skip_ws(&mut self) -> Option<u8> {
        loop {
            let w = self.window();
            if w.is_empty() {
                return None;
            }
            match w.iter().position(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0)) {
                Some(i) => {
                    if w[i..].starts_with(&[0xEF, 0xBB, 0xBF]) {
                        self.pos += i + 3;
                        continue;
                    }
                    self.pos += i;
                    return Some(self.buf[self.pos]);
                }
                None => self.pos = self.len,
            }
        }
    }

    /// Skip to just after the next newline (or the end).
    fn skip_line(&mut self) {
        loop {
            let w = self.window();
            if w.is_empty() {
                return;
            }
            match memchr::memchr(b'\n', w) {
                Some(i) => {
                    self.pos += i + 1;
                    return;
                }
                None => self.pos = self.len,
            }
        }
    }
}

/// How reading one value ended.
#[derive(Debug, PartialEq, Eq)]
enum Framed {
    /// The whole value is in the buffer.
    Complete,
    /// The value reached the record limit before its end (the buffer holds its start).
    AtLimit,
    /// The input ended inside the value (the buffer holds what was read, up to the limit).
    Truncated,
    /// A raw line break inside a string of a top-level object: the line is damaged.
    BrokenLine,
}

struct Scanner<'s, R, S> {
    src: Src<R>,
    limits: Limits,
    out: Outline,
    sink: &'s mut S,
    /// Inside top-level objects (JSON Lines): a raw line break in a string ends the line.
    lines: bool,
}

impl<R: Read, S: ItemSink> Scanner<'_, R, S> {
    fn top(&mut self) {
        let mut item = Vec::new();
        self.lines = true;
        while let Some(b) = self.src.skip_ws() {
            match b {
                b'[' => {
                    self.src.bump();
                    self.lines = false;
                    self.array(Place::TopLevel, &mut item);
                    self.lines = true;
                }
                b'{' => self.top_object(&mut item),
                other => {
                    let i = self.out.items;
                    self.sink.problem(
                        Some(i),
                        format!("unexpected {} at the top level; skipped to the next line", show(other)),
                    );
                    self.src.skip_line();
                }
            }
        }
    }

    fn next_index(&mut self) -> usize {
        self.out.items += 1;
        self.out.items - 1
    }

    /// The elements of an array whose `[` was just read, up to and including its `]`.
    fn array(&mut self, place: Place, item: &mut Vec<u8>) {
        let mut want_separator = false;
        loop {
            let Some(b) = self.src.skip_ws() else {
                self.sink.problem(None, "the input ends inside an array".to_owned());
                return;
            };
            match b {
                b']' => {
                    self.src.bump();
                    return;
                }
                b',' => {
                    self.src.bump();
                    want_separator = false;
                    continue;
                }
                _ => {}
            }
            let index = self.next_index();
            if want_separator {
                self.sink.problem(Some(index), "no comma between this record and the one before it".to_owned());
            }
            item.clear();
            let mut st = ValueState::default();
            match self.scan_value(item, &mut st, self.limits.max_record_bytes, false) {
                Framed::Complete => {
                    if !self.sink.item(index, place, item) && self.resync(item) {
                        self.sink
                            .problem(Some(index), "damaged record; read on from the next record inside it".to_owned());
                        want_separator = false;
                        continue;
                    }
                }
                Framed::AtLimit => {
                    if self.resync(item) {
                        self.sink.problem(
                            Some(index),
                            "damaged record: its end cannot be found; read on from the next record".to_owned(),
                        );
                        want_separator = false;
                        continue;
                    } else {
                        let mut discard = Vec::new();
                        let end = self.scan_value(&mut discard, &mut st, usize::MAX, true);
                        self.sink.problem(
                            Some(index),
                            format!("record is larger than {} bytes; skipped", self.limits.max_record_bytes),
                        );
                        if end != Framed::Complete {
                            return;
                        }
                    }
                }
                Framed::Truncated | Framed::BrokenLine => {
                    if self.resync(item) {
                        self.sink.problem(
                            Some(index),
                            "damaged record: its end cannot be found; read on from the next record".to_owned(),
                        );
                        want_separator = false;
                        continue;
                    } else {
                        self.sink.problem(Some(index), "the input ends inside this record".to_owned());
                        return;
                    }
                }
            }
            want_separator = true;
        }
    }

    /// Look for the start of a later record in a damaged item's bytes; put what follows it back.
    /// A record starts with `{` after a `,` and names a record's top-level key first.
    fn resync(&mut self, item: &[u8]) -> bool {
        let mut from = 1;
        while let Some(off) = memchr::memmem::find(&item[from.min(item.len())..], b"{\"") {
            let at = from + off;
            from = at + 1;
            let before = item[..at].iter().rposition(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t'));
            if !before.is_some_and(|i| item[i] == b',') {
                continue;
            }
            let key = &item[at + 2..];
            let starts_record = super::record::TOP_LEVEL_KEYS
                .iter()
                .any(|k| key.len() > k.len() && key.starts_with(k.as_bytes()) && key[k.len()] == b'"');
            if starts_record {
                self.src.push_back(&item[at..]);
                return true;
            }
        }
        false
    }

    /// A top-level object: a container of records, or an item in itself.
    fn top_object(&mut self, item: &mut Vec<u8>) {
        self.src.bump();
        item.clear();
        item.push(b'{');
        // The object's own bytes are kept only while it may be an item (no container in it).
        let mut is_container = false;
        let mut too_large = false;
        let mut key = Vec::new();
        loop {
            let Some(b) = self.src.skip_ws() else {
                if !is_container {
                    let index = self.next_index();
                    self.sink.problem(Some(index), "the input ends inside this object".to_owned());
                } else {
                    self.sink.problem(None, "the input ends before the end of the top-level object".to_owned());
                }
                return;
            };
            match b {
                b'}' => {
                    self.src.bump();
                    break;
                }
                b',' => {
                    self.src.bump();
                    continue;
                }
                b'"' => {}
                other => {
                    let index = self.next_index();
                    self.sink.problem(
                        Some(index),
                        format!("unexpected {} in an object; skipped to the next line", show(other)),
                    );
                    self.src.skip_line();
                    return;
                }
            }
            // A key, then `:`, then its value.
            key.clear();
            let mut st = ValueState::default();
            if self.scan_value(&mut key, &mut st, 1 << 16, false) != Framed::Complete
                || self.src.skip_ws() != Some(b':')
            {
                let index = self.next_index();
                self.sink.problem(Some(index), "damaged object key; skipped to the next line".to_owned());
                self.src.skip_line();
                return;
            }
            self.src.bump();
            let name = String::from_utf8_lossy(&key[1..key.len() - 1]).into_owned();
            if CONTAINER_KEYS.contains(&name.as_str()) && self.src.skip_ws() == Some(b'[') {
                self.src.bump();
                if !self.out.containers.contains(&name) {
                    self.out.containers.push(name);
                }
                is_container = true;
                let mut inner = Vec::new();
                self.lines = false;
                self.array(Place::Container, &mut inner);
                self.lines = true;
                continue;
            }
            if self.out.top_keys.len() < MAX_KEYS_KEPT && !self.out.top_keys.contains(&name) {
                self.out.top_keys.push(name.clone());
            }
            let skip = is_container || too_large || SKIPPED_KEYS.contains(&name.as_str());
            if !skip {
                if item.len() > 1 {
                    item.push(b',');
                }
                item.extend_from_slice(&key);
                item.push(b':');
            }
            let mut st = ValueState::default();
            let cap = self.limits.max_record_bytes;
            let mut framed = self.scan_value(item, &mut st, cap, skip);
            if framed == Framed::AtLimit {
                too_large = true;
                framed = self.scan_value(item, &mut st, usize::MAX, true);
            }
            match framed {
                Framed::Complete | Framed::AtLimit => {}
                Framed::Truncated | Framed::BrokenLine => {
                    let index = self.next_index();
                    self.sink.problem(
                        Some(index),
                        "damaged line: a value does not end; read on from the next line".to_owned(),
                    );
                    self.src.skip_line();
                    return;
                }
            }
        }
        if is_container {
            return;
        }
        let index = self.next_index();
        if too_large {
            self.sink
                .problem(Some(index), format!("object is larger than {} bytes; skipped", self.limits.max_record_bytes));
        } else {
            item.push(b'}');
            // A line that is not valid JSON has nothing more to give: the next line is next.
            let _ = self.sink.item(index, Place::TopLevel, item);
        }
    }

    /// Copy one JSON value (object, array, string or scalar) into `out`, tracking only strings,
    /// escapes and nesting, until it ends or `out` reaches `cap` bytes (`AtLimit`: `st` keeps
    /// the place, so the caller may go on with `discard`, which keeps nothing). In a top-level
    /// object (`self.lines`) a raw line break inside a string means the line is damaged.
    fn scan_value(&mut self, out: &mut Vec<u8>, st: &mut ValueState, cap: usize, discard: bool) -> Framed {
        if !st.started {
            let Some(first) = self.src.skip_ws() else { return Framed::Truncated };
            st.started = true;
            st.scalar = !matches!(first, b'{' | b'[' | b'"');
        }
        let lines = self.lines;
        loop {
            let w = self.src.window();
            if w.is_empty() {
                let ended_scalar = st.scalar && (discard || !out.is_empty());
                return if ended_scalar { Framed::Complete } else { Framed::Truncated };
            }
            let mut i = 0;
            let mut done = false;
            let mut broken = false;
            while i < w.len() {
                if st.in_str {
                    if st.esc {
                        st.esc = false;
                        i += 1;
                        continue;
                    }
                    let rest = &w[i..];
                    let hit = if lines {
                        memchr::memchr3(b'"', b'\\', b'\n', rest)
                    } else {
                        memchr::memchr2(b'"', b'\\', rest)
                    };
                    let Some(j) = hit else {
                        i = w.len();
                        continue;
                    };
                    i += j;
                    match w[i] {
                        b'\\' => st.esc = true,
                        b'"' => {
                            st.in_str = false;
                            if st.depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        _ => {
                            broken = true;
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                let b = w[i];
                if st.scalar {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                        done = true;
                        break;
                    }
                } else {
                    match b {
                        b'"' => st.in_str = true,
                        b'{' | b'[' => st.depth += 1,
                        b'}' | b']' => {
                            st.depth = st.depth.saturating_sub(1);
                            if st.depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            if !discard && out.len() + i > cap {
                // Keep the start, up to the limit: a damaged record is looked into for the
                // start of the next one.
                let room = cap.saturating_sub(out.len());
                out.extend_from_slice(&w[..room]);
                self.src.pos += room;
                return Framed::AtLimit;
            }
            if !discard {
                out.extend_from_slice(&w[..i]);
            }
            self.src.pos += i;
            if broken {
                return Framed::BrokenLine;
            }
            if done {
                return Framed::Complete;
            }
        }
    }
}

/// Where the scan of one value stands (so that it can go on past the record limit).
#[derive(Debug, Default)]
struct ValueState {
    started: bool,
    scalar: bool,
    depth: u32,
    in_str: bool,
    esc: bool,
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        items: Vec<(usize, Place, String)>,
        problems: Vec<(Option<usize>, String)>,
    }

    impl ItemSink for Collect {
        fn item(&mut self, index: usize, place: Place, bytes: &[u8]) -> bool {
            let ok = serde_json::from_slice::<serde_json::Value>(bytes).is_ok();
            if ok {
                self.items.push((index, place, String::from_utf8_lossy(bytes).into_owned()));
            }
            ok
        }
        fn problem(&mut self, index: Option<usize>, reason: String) {
            self.problems.push((index, reason));
        }
    }

    fn run(text: &[u8], limits: Limits) -> (Collect, Outline) {
        let mut c = Collect::default();
        let o = scan(text, limits, &mut c);
        (c, o)
    }

    fn items(text: &str) -> Vec<String> {
        run(text.as_bytes(), Limits::default()).0.items.into_iter().map(|i| i.2).collect()
    }

    #[test]
    fn frames_delivery_files_arrays_and_lines() {
        let (c, o) = run(br#"{"Records":[{"a":"x,]}"},{"b":[1,{"c":"\"}"}]}]}"#, Limits::default());
        assert_eq!(c.items.len(), 2, "{:?}", c.problems);
        assert_eq!(c.items[1].2, r#"{"b":[1,{"c":"\"}"}]}"#);
        assert_eq!((o.containers, c.items[0].1), (vec!["Records".to_owned()], Place::Container));
        assert_eq!(items("[{\"a\":1}, {\"a\":2}]"), ["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(items("{\"a\":1}\n{\"a\": \"2\"}\r\n\n{\"b\":{}}\n"), ["{\"a\":1}", "{\"a\":\"2\"}", "{\"b\":{}}"]);
        // Several pages of lookup-events output, one after the other.
        let (c, o) = run(br#"{"Events":[{"x":1}],"NextToken":"t"}{"Events":[{"x":2}]}"#, Limits::default());
        assert_eq!((c.items.len(), o.containers), (2, vec!["Events".to_owned()]));
        assert!(c.problems.is_empty());
    }

    #[test]
    fn a_byte_order_mark_and_padding_are_skipped() {
        let mut text = vec![0xEF, 0xBB, 0xBF];
        text.extend_from_slice(b"{\"Records\":[{\"a\":1}]}\n\0\0");
        let (c, _) = run(&text, Limits::default());
        assert_eq!((c.items.len(), c.problems.len()), (1, 0));
    }

    #[test]
    fn missing_commas_and_large_records_are_reported_not_fatal() {
        let (c, _) = run(
            br#"{"Records":[{"a":1}{"a":2},{"a":3333333333333},{"a":4}]}"#,
            Limits { max_record_bytes: 12, ..Default::default() },
        );
        let kept: Vec<usize> = c.items.iter().map(|i| i.0).collect();
        assert_eq!(kept, [0, 1, 3]);
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].1.contains("no comma"));
        assert!(c.problems[1].1.contains("larger than 12 bytes"));
    }

    #[test]
    fn an_unterminated_string_resynchronises_at_the_next_record() {
        let text =
            br#"{"Records":[{"eventVersion":"1","a":"x},{"eventVersion":"1","b":2},{"eventVersion":"1","c":3}]}"#;
        let (c, _) = run(text, Limits::default());
        let kept: Vec<&str> = c.items.iter().map(|i| i.2.as_str()).collect();
        assert_eq!(kept, [r#"{"eventVersion":"1","b":2}"#, r#"{"eventVersion":"1","c":3}"#]);
        assert!(c.problems.iter().any(|p| p.1.contains("damaged record")), "{:?}", c.problems);
    }

    #[test]
    fn a_broken_line_costs_only_that_line() {
        let text = "{\"a\":\"x}\n{\"a\":2}\n";
        let (c, _) = run(text.as_bytes(), Limits::default());
        assert_eq!(c.items.iter().map(|i| i.2.as_str()).collect::<Vec<_>>(), ["{\"a\":2}"]);
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn the_file_limit_stops_reading() {
        let text = format!("{{\"Records\":[{}]}}", vec!["{\"a\":1}"; 1000].join(","));
        let (c, o) = run(text.as_bytes(), Limits { max_file_bytes: 100, ..Default::default() });
        assert!(o.over_limit);
        assert!(c.items.len() < 20);
    }

    #[test]
    fn other_documents_are_outlined_by_their_keys() {
        let (c, o) = run(br#"{"fileVersion":"1","configurationItems":[{"big":1}]}"#, Limits::default());
        assert_eq!(o.top_keys, ["fileVersion", "configurationItems"]);
        assert_eq!(c.items.len(), 1);
        assert!(!c.items[0].2.contains("big"));
    }
}
