//! The dashboard's state: the latest row per vehicle, the last notifications, the connection's
//! lifecycle and the frame counters, each change numbered by one sequence.
//!
//! A browser holds only a cursor (the last sequence number it was sent); [`Board::since`] gives
//! it what changed after that cursor. Updates are coalesced per vehicle: the change log keeps one
//! entry per vehicle, its latest, so a browser that fell behind receives each vehicle's current
//! row once, however many frames arrived meanwhile. What a browser can be owed is therefore
//! bounded by the number of vehicles plus the fixed-size notification and connection logs,
//! never by the number of frames.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use ctechnology_rt::types::{NotificationPayload, VehicleActionPayload, VehicleProfilePayload, VehicleStatusPayload};
use ctechnology_rt::{Handler, Incoming, UnknownFrame};
use serde::Serialize;

/// How many notifications the board keeps (and a browser that connects is sent).
pub const NOTIFICATIONS: usize = 100;
/// How many connection events the board keeps.
pub const CONNECTION_LOG: usize = 50;

/// What the page shows of one vehicle: the values of its latest status frame, and its name from
/// the latest profile frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub name: Option<String>,
    pub status: Option<String>,
    /// Traction battery, percent.
    pub soc: Option<f64>,
    /// The main (12 V) battery: volts and percent.
    pub battery_v: Option<f64>,
    pub battery_pct: Option<f64>,
    /// km/h.
    pub speed: Option<f64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub ignition: Option<bool>,
    /// The status record's own time, as the service wrote it.
    pub timestamp: Option<String>,
    /// When the dashboard received the vehicle's latest frame (Unix milliseconds); `None` for a
    /// vehicle known only from its profile.
    pub received_ms: Option<u64>,
}

/// One notification as the feed shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Note {
    pub seq: u64,
    pub priority: String,
    pub title: Option<String>,
    pub message: Option<String>,
    pub vehicle_id: Option<String>,
    pub kind: Option<String>,
    pub timestamp: Option<String>,
    pub received_ms: u64,
}

/// The client's connection, as its lifecycle events tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    Connecting,
    Connected,
    Reconnecting,
    Rejected,
    Stopped,
}

/// One entry of the connection log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkEvent {
    pub seq: u64,
    pub state: Link,
    pub detail: String,
    pub at_ms: u64,
}

/// Frames by what became of them, so that nothing disappears silently.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    pub frames: u64,
    pub statuses: u64,
    pub notifications: u64,
    pub profiles: u64,
    pub actions: u64,
    /// Frames of a channel the document does not describe.
    pub unknown: u64,
    /// Frames that could not be decoded.
    pub undecodable: u64,
    pub last_unknown: Option<String>,
    pub last_error: Option<String>,
}

/// What one browser is sent: everything that changed after its cursor, up to `seq`.
#[derive(Debug, Serialize)]
pub struct Update {
    /// The browser's new cursor.
    pub seq: u64,
    /// Sent from cursor 0: the page starts over (a new page, or an `EventSource` that
    /// reconnected).
    pub snapshot: bool,
    /// More changes are waiting (the vehicles are sent in chunks).
    pub more: bool,
    pub vehicles: Vec<Row>,
    pub notifications: Vec<Note>,
    pub connection: Vec<LinkEvent>,
    pub state: Link,
    pub counts: Counts,
    pub total_vehicles: usize,
    pub stale_after_s: u64,
    pub now_ms: u64,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    row: Row,
}

/// The state the client fills and the browsers read.
#[derive(Debug)]
pub struct Board {
    seq: u64,
    vehicles: HashMap<String, Entry>,
    /// seq → vehicle id: one entry per vehicle, at its latest change.
    changed: BTreeMap<u64, String>,
    notes: VecDeque<Note>,
    links: VecDeque<LinkEvent>,
    state: Link,
    counts: Counts,
    stale_after_s: u64,
}

impl Board {
    /// An empty board; a vehicle silent for `stale_after_s` seconds is marked on the page.
    pub fn new(stale_after_s: u64) -> Self {
        Board {
            seq: 0,
            vehicles: HashMap::new(),
            changed: BTreeMap::new(),
            notes: VecDeque::new(),
            links: VecDeque::new(),
            state: Link::Connecting,
            counts: Counts::default(),
            stale_after_s,
        }
    }

    /// The number of the latest change.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Applies one decoded frame received at `now_ms`.
    pub fn message(&mut self, message: Incoming, now_ms: u64) {
        self.counts.frames += 1;
        ctechnology_rt::dispatch(&mut Apply { board: self, now_ms }, message);
        self.next();
    }

    /// Counts a frame that could not be decoded, and keeps why.
    pub fn undecodable(&mut self, why: String) {
        self.counts.frames += 1;
        self.counts.undecodable += 1;
        self.counts.last_error = Some(why);
        self.next();
    }

    /// Records a lifecycle event of the client.
    pub fn link(&mut self, state: Link, detail: String, now_ms: u64) {
        let seq = self.next();
        self.state = state;
        self.links.push_back(LinkEvent { seq, state, detail, at_ms: now_ms });
        while self.links.len() > CONNECTION_LOG {
            self.links.pop_front();
        }
    }

    /// Changes `id`'s row (created when new) and moves it to the head of the change log.
    fn touch(&mut self, id: &str, change: impl FnOnce(&mut Row)) {
        let seq = self.next();
        let entry = self
            .vehicles
            .entry(id.to_owned())
            .or_insert_with(|| Entry { seq: 0, row: Row { id: id.to_owned(), ..Row::default() } });
        change(&mut entry.row);
        let before = std::mem::replace(&mut entry.seq, seq);
        self.changed.remove(&before);
        self.changed.insert(seq, id.to_owned());
    }

    /// What changed after `cursor`, at most `max_vehicles` vehicles of it; the returned `seq`
    /// is the cursor for the next call (`more` tells whether that call has anything yet).
    pub fn since(&self, cursor: u64, max_vehicles: usize, now_ms: u64) -> Update {
        let taken: Vec<(u64, &String)> =
            self.changed.range(cursor + 1..).take(max_vehicles).map(|(seq, id)| (*seq, id)).collect();
        let last = taken.last().map(|(seq, _)| *seq);
        // A chunk ends at its last vehicle, so the rest of the changes come with the next one.
        let more = last.is_some_and(|last| self.changed.range(last + 1..).next().is_some());
        let upto = match last {
            Some(last) if more => last,
            _ => self.seq,
        };
        let vehicles = taken.iter().filter_map(|(_, id)| self.vehicles.get(*id)).map(|e| e.row.clone()).collect();
        let fresh = |seq: u64| seq > cursor && seq <= upto;
        Update {
            seq: upto,
            snapshot: cursor == 0,
            more,
            vehicles,
            notifications: self.notes.iter().filter(|n| fresh(n.seq)).cloned().collect(),
            connection: self.links.iter().filter(|l| fresh(l.seq)).cloned().collect(),
            state: self.state,
            counts: self.counts.clone(),
            total_vehicles: self.vehicles.len(),
            stale_after_s: self.stale_after_s,
            now_ms,
        }
    }
}

/// The vehicle a frame's header `uri` names (`.../vehicle/veh_.../status`).
fn vehicle_of_uri(uri: Option<&str>) -> Option<&str> {
    uri?.split('/').find(|segment| segment.starts_with("veh_"))
}

/// The board as the generated crate's [`Handler`]: one method per message of the document.
struct Apply<'a> {
    board: &'a mut Board,
    now_ms: u64,
}

impl Handler for Apply<'_> {
    fn on_vehicle_status(&mut self, message: VehicleStatusPayload) {
        self.board.counts.statuses += 1;
        let s = message.data;
        let now_ms = self.now_ms;
        // Optional nullable fields are `Option<Option<T>>`; absent and null look the same here.
        self.board.touch(&s.vehicle_id, |row| {
            row.status = s.status.flatten().map(|v| v.to_string());
            row.soc = s.state_of_charge_pct.flatten();
            row.battery_v = s.battery_main_voltage.flatten();
            row.battery_pct = s.battery_main_pct.flatten();
            row.speed = s.speed.flatten();
            row.lat = s.latitude.flatten();
            row.lon = s.longitude.flatten();
            row.ignition = s.ignition_on.flatten();
            row.timestamp = Some(s.timestamp);
            row.received_ms = Some(now_ms);
        });
    }

    fn on_notification(&mut self, message: NotificationPayload) {
        self.board.counts.notifications += 1;
        let n = message.data;
        let seq = self.board.next();
        self.board.notes.push_back(Note {
            seq,
            priority: n.priority.map_or_else(|| "-".to_owned(), |p| p.to_string()),
            title: n.title,
            message: n.message,
            vehicle_id: n.vehicle_id,
            kind: n.type_,
            timestamp: n.timestamp,
            received_ms: self.now_ms,
        });
        while self.board.notes.len() > NOTIFICATIONS {
            self.board.notes.pop_front();
        }
    }

    fn on_vehicle_profile(&mut self, message: VehicleProfilePayload) {
        self.board.counts.profiles += 1;
        let Some(id) = vehicle_of_uri(message.header.uri.as_deref()) else { return };
        let name = message.data.name.flatten();
        self.board.touch(id, |row| row.name = name);
    }

    fn on_vehicle_action(&mut self, _message: VehicleActionPayload) {
        self.board.counts.actions += 1;
    }

    fn on_unknown(&mut self, frame: UnknownFrame) {
        self.board.counts.unknown += 1;
        self.board.counts.last_unknown = Some(frame.tag.unwrap_or_else(|| "(no channel)".to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: &str, speed: f64) -> Incoming {
        let frame = serde_json::json!({
            "header": {"channel": "vehicle/status"},
            "data": {"vehicle_id": id, "timestamp": "2026-01-01T00:00:00Z", "speed": speed}
        });
        ctechnology_rt::decode(&frame.to_string()).expect("a valid status frame")
    }

    #[test]
    fn a_browser_behind_gets_each_vehicle_once_with_its_latest_values() {
        let mut board = Board::new(60);
        for round in 0..100 {
            board.message(status("veh_a", f64::from(round)), 1);
            board.message(status("veh_b", f64::from(round) * 2.0), 1);
        }
        let update = board.since(0, 1000, 2);
        assert_eq!(update.vehicles.len(), 2, "coalesced: one row per vehicle, not per frame");
        let speed = |id: &str| update.vehicles.iter().find(|r| r.id == id).and_then(|r| r.speed);
        assert_eq!(speed("veh_a"), Some(99.0));
        assert_eq!(speed("veh_b"), Some(198.0));
        assert_eq!(update.counts.statuses, 200);
        assert!(update.snapshot && !update.more);
        // Nothing new: nothing to send.
        assert!(board.since(update.seq, 1000, 3).vehicles.is_empty());
        board.message(status("veh_b", 7.0), 4);
        let next = board.since(update.seq, 1000, 4);
        assert_eq!(next.vehicles.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["veh_b"]);
    }

    #[test]
    fn chunks_carry_every_vehicle_exactly_once() {
        let mut board = Board::new(60);
        for i in 0..25 {
            board.message(status(&format!("veh_{i:02}"), 1.0), 1);
        }
        board.link(Link::Connected, String::new(), 1);
        let (mut cursor, mut seen, mut links) = (0, Vec::new(), 0);
        loop {
            let update = board.since(cursor, 10, 1);
            assert!(update.vehicles.len() <= 10);
            seen.extend(update.vehicles.into_iter().map(|r| r.id));
            links += update.connection.len();
            cursor = update.seq;
            if !update.more {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 25);
        assert_eq!(links, 1, "the connection event comes once, with the chunk its number falls in");
        assert_eq!(cursor, board.seq());
    }

    #[test]
    fn unknown_and_undecodable_frames_are_counted_and_logs_stay_bounded() {
        let mut board = Board::new(60);
        let unknown = r#"{"header": {"channel": "vehicle/telemetry"}, "data": {}}"#;
        board.message(ctechnology_rt::decode(unknown).expect("an unknown channel still decodes"), 1);
        board.undecodable("not JSON".to_owned());
        for i in 0..(CONNECTION_LOG + 5) {
            board.link(if i % 2 == 0 { Link::Reconnecting } else { Link::Connected }, String::new(), 1);
        }
        let update = board.since(0, 10, 1);
        assert_eq!((update.counts.unknown, update.counts.undecodable, update.counts.frames), (1, 1, 2));
        assert_eq!(update.counts.last_unknown.as_deref(), Some("vehicle/telemetry"));
        assert_eq!(update.connection.len(), CONNECTION_LOG);
        assert_eq!(update.state, Link::Reconnecting);
    }

    #[test]
    fn a_profile_names_the_vehicle_of_its_uri() {
        assert_eq!(vehicle_of_uri(Some("https://h/api/v2.2/vehicle/veh_01k5/status")), Some("veh_01k5"));
        assert_eq!(vehicle_of_uri(Some("https://h/api/v2.2/notification/alert")), None);
        assert_eq!(vehicle_of_uri(None), None);
    }
}
