//! An opt-in re-sync policy: the real-time client's events, plus the latest status of every
//! known vehicle re-read over REST after every reconnect (and, optionally, every N), delivered in
//! the same stream as the pushed messages and marked as re-read.
//!
//! Why: the real-time API has no sequence numbers, acknowledgements or replay, and delivery is
//! best-effort (c.technology API notes §7, §8), and a parked vehicle may push nothing for a long
//! time while its REST status moves on (T1). After a gap a consumer would show what it saw last,
//! possibly hours old. The one live third-party client (T1) re-reads each vehicle's status after
//! every reconnect and every 5 minutes; [`Policy`] does the same.
//!
//! Invariants: a re-read answer is delivered only when its `timestamp` is later than every status
//! of that vehicle delivered before it (pushed or re-read), so it never overwrites a newer push;
//! a vehicle has at most one re-read queued or in flight; at most [`Policy::concurrency`] run at
//! once; a failed re-read is an [`Event::Failed`] and a `tracing` warning, never a panic and
//! never the end of the pushed stream.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ctechnology_rt::client::{self, Client};
use ctechnology_rt::types::VehicleStatusPayload;
use ctechnology_rt::{Incoming, dispatch};
use futures_util::{Stream, StreamExt as _};
use tokio::task::JoinSet;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::rest::{Error, Rest};

/// When [`Resync`] re-reads and how many reads it runs at once.
#[derive(Clone, Debug)]
pub struct Policy {
    every: Option<Duration>,
    concurrency: usize,
    vehicles: Vec<String>,
}

impl Policy {
    /// Re-read after every `Connected` that follows a disconnect (not after the first
    /// connection), four reads at a time.
    pub fn after_reconnect() -> Policy {
        Policy { every: None, concurrency: 4, vehicles: Vec::new() }
    }

    /// Also re-read every `period` (T1 uses 5 minutes), counted from the start. A zero period is
    /// ignored.
    pub fn every(mut self, period: Duration) -> Policy {
        self.every = Some(period).filter(|p| !p.is_zero());
        self
    }

    /// How many re-reads may run at once (at least 1), to stay within the REST rate limit (D2).
    pub fn concurrency(mut self, reads: usize) -> Policy {
        self.concurrency = reads.max(1);
        self
    }

    /// Vehicles to re-read even before they have pushed anything (say, the account's vehicles
    /// from a discovery call); vehicles that push are added as they are seen.
    pub fn vehicles<I, S>(mut self, ids: I) -> Policy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.vehicles.extend(ids.into_iter().map(Into::into));
        self
    }
}

/// Where a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Pushed by the broker.
    Pushed,
    /// Re-read over REST by the re-sync policy.
    Resynced,
}

/// What a [`Resync`] stream yields, in the order it happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A message, pushed or re-read; a re-read status is an `Incoming::VehicleStatus` like a
    /// pushed one, whose `header.uri` is the URL read.
    Message {
        /// The message.
        message: Incoming,
        /// Where it came from.
        origin: Origin,
    },
    /// A connection event of the client (`Connected`, `Disconnected`, `Reconnecting`); messages
    /// never arrive as this variant.
    Connection(client::Event),
    /// A re-read that failed; the stream goes on, and the next round tries again.
    Failed {
        /// The vehicle whose status was re-read.
        vehicle_id: String,
        /// What went wrong, with the HTTP status and REST header when the service answered.
        error: Error,
    },
    /// Every re-read started so far has finished (delivered, dropped as stale, or failed): the
    /// consumer is as up to date as REST can make it. Carries the totals so far.
    Settled(Stats),
}

/// What a [`Resync`] has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Re-sync rounds started (reconnects and periods).
    pub rounds: usize,
    /// Re-reads started.
    pub reads: usize,
    /// Re-read statuses delivered.
    pub delivered: usize,
    /// Re-read statuses dropped because a status as new or newer was delivered already.
    pub stale: usize,
    /// Re-reads that failed.
    pub failed: usize,
}

/// What [`Resync::run`] hands messages to: the generated handler, plus where re-read statuses
/// and failures go. `impl Handler for MyHandler {}` re-reads through `on_vehicle_status`.
pub trait Handler: ctechnology_rt::Handler {
    /// A re-read status (default: [`on_vehicle_status`](ctechnology_rt::Handler::on_vehicle_status),
    /// as if it had been pushed).
    fn on_resynced(&mut self, message: VehicleStatusPayload) {
        self.on_vehicle_status(message);
    }

    /// A re-read that failed (default: nothing; it is logged already).
    fn on_resync_failed(&mut self, vehicle_id: &str, error: &Error) {
        let _ = (vehicle_id, error);
    }
}

/// What the re-sync knows about one vehicle.
#[derive(Default)]
struct Vehicle {
    /// The latest `timestamp` delivered for it, pushed or re-read.
    newest: Option<jiff::Timestamp>,
    /// Pushed statuses so far.
    pushes: u64,
    /// The value of `pushes` after the last push whose `timestamp` could not be read.
    unreadable: u64,
}

impl Vehicle {
    /// Whether a re-read answer stamped `timestamp`, read when `pushes_then` statuses had been
    /// pushed, is newer than everything delivered for the vehicle.
    fn is_newer(&self, timestamp: &str, pushes_then: u64) -> bool {
        match crate::time::parse(timestamp) {
            // A push since the read started whose time is unknown may be newer than the answer.
            Some(at) => self.newest.is_none_or(|newest| at > newest) && self.unreadable <= pushes_then,
            // Without a time, the answer is new only if nothing was pushed while it was read.
            None => self.pushes == pushes_then,
        }
    }
}

/// The result of one re-read: the vehicle, its push count when the read started, the answer.
type Read = (String, u64, Result<VehicleStatusPayload, Error>);

/// A [`Client`] with the re-sync [`Policy`]: a [`Stream`] of [`Event`]s, or a source for
/// [`Resync::run`]. Items are `Err` exactly when the client's are (frames that do not decode, and
/// the error that stopped it); the stream ends when the client does.
pub struct Resync {
    client: Client,
    rest: Rest,
    policy: Policy,
    vehicles: BTreeMap<String, Vehicle>,
    queue: VecDeque<String>,
    busy: BTreeSet<String>,
    reads: JoinSet<Read>,
    names: HashMap<tokio::task::Id, String>,
    tick: Option<Interval>,
    connected: bool,
    lost: bool,
    stats: Stats,
    /// A round has just finished and [`Event::Settled`] is still to be delivered.
    settled: bool,
}

impl std::fmt::Debug for Resync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resync")
            .field("vehicles", &self.vehicles.len())
            .field("queued", &self.queue.len())
            .field("in_flight", &self.reads.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Resync {
    /// Wraps `client`: its events pass through, and re-reads go to `rest` as `policy` says.
    pub fn new(client: Client, rest: Rest, policy: Policy) -> Resync {
        let vehicles = policy.vehicles.iter().map(|id| (id.clone(), Vehicle::default())).collect();
        Resync {
            client,
            rest,
            policy,
            vehicles,
            queue: VecDeque::new(),
            busy: BTreeSet::new(),
            reads: JoinSet::new(),
            names: HashMap::new(),
            tick: None,
            connected: false,
            lost: false,
            stats: Stats::default(),
            settled: false,
        }
    }

    /// The client, for [`Client::send`] and [`Client::request`].
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The vehicles it re-reads, in id order.
    pub fn vehicles(&self) -> impl Iterator<Item = &str> {
        self.vehicles.keys().map(String::as_str)
    }

    /// What it has done so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The next event; `None` once the client has stopped and every event was taken.
    pub async fn recv(&mut self) -> Option<Result<Event, client::Error>> {
        self.next().await
    }

    /// Hands every message to `handler` until the client stops: pushed ones through the
    /// generated dispatch, re-read statuses to [`Handler::on_resynced`]. Connection events and
    /// frames that cannot be decoded are logged and skipped. Returns the error that stopped the
    /// client, or `Ok(())` after a shutdown.
    pub async fn run<H: Handler + ?Sized>(&mut self, handler: &mut H) -> Result<(), client::Error> {
        while let Some(item) = self.next().await {
            match item {
                Ok(Event::Message { message: Incoming::VehicleStatus(status), origin: Origin::Resynced }) => {
                    handler.on_resynced(*status);
                }
                Ok(Event::Message { message, .. }) => dispatch(handler, message),
                Ok(Event::Connection(event)) => tracing::debug!(?event, "connection event"),
                Ok(Event::Failed { vehicle_id, error }) => handler.on_resync_failed(&vehicle_id, &error),
                Ok(Event::Settled(stats)) => tracing::debug!(?stats, "re-sync settled"),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "skipped a frame"),
            }
        }
        Ok(())
    }

    /// Stops the re-reads in flight and shuts the client down (see [`Client::shutdown`]).
    pub async fn shutdown(mut self) {
        self.reads.shutdown().await;
        self.client.shutdown().await;
    }

    /// Queues a re-read of every known vehicle that has none queued or in flight.
    fn round(&mut self, why: &str) {
        self.stats.rounds += 1;
        let due: Vec<String> = self.vehicles.keys().filter(|id| !self.busy.contains(*id)).cloned().collect();
        tracing::info!(vehicles = due.len(), why, "re-reading vehicle statuses over REST");
        for id in due {
            self.busy.insert(id.clone());
            self.queue.push_back(id);
        }
        self.start();
        // A round with nothing to read is settled at once.
        self.settled |= self.reads.is_empty() && self.queue.is_empty();
    }

    /// Starts queued re-reads while fewer than the policy's concurrency run.
    fn start(&mut self) {
        while self.reads.len() < self.policy.concurrency {
            let Some(id) = self.queue.pop_front() else { break };
            let pushes = self.vehicles.get(&id).map_or(0, |v| v.pushes);
            let rest = self.rest.clone();
            let name = id.clone();
            let handle = self.reads.spawn(async move {
                let answer = rest.vehicle_status(&name).await;
                (name, pushes, answer)
            });
            self.names.insert(handle.id(), id);
            self.stats.reads += 1;
        }
    }

    /// Notes a pushed message, and starts a round on a reconnect.
    fn observe(&mut self, event: client::Event) -> Event {
        match event {
            client::Event::Message(message) => {
                if let Incoming::VehicleStatus(status) = &message {
                    let vehicle = self.vehicles.entry(status.data.vehicle_id.clone()).or_default();
                    vehicle.pushes += 1;
                    match crate::time::parse(&status.data.timestamp) {
                        Some(at) => vehicle.newest = vehicle.newest.max(Some(at)),
                        None => vehicle.unreadable = vehicle.pushes,
                    }
                }
                Event::Message { message, origin: Origin::Pushed }
            }
            client::Event::Connected => {
                if self.connected && self.lost {
                    self.round("reconnected");
                }
                self.connected = true;
                self.lost = false;
                Event::Connection(client::Event::Connected)
            }
            event @ client::Event::Disconnected { .. } => {
                self.lost = true;
                Event::Connection(event)
            }
            other => Event::Connection(other),
        }
    }

    /// What a finished re-read becomes: a message, a failure, or nothing (stale).
    fn settle(&mut self, (id, pushes_then, answer): Read) -> Option<Event> {
        self.busy.remove(&id);
        let status = match answer {
            Ok(status) => status,
            Err(error) => {
                self.stats.failed += 1;
                tracing::warn!(vehicle_id = %id, %error, "re-reading the vehicle status failed");
                return Some(Event::Failed { vehicle_id: id, error });
            }
        };
        let vehicle = self.vehicles.entry(id.clone()).or_default();
        if !vehicle.is_newer(&status.data.timestamp, pushes_then) {
            self.stats.stale += 1;
            tracing::debug!(vehicle_id = %id, timestamp = %status.data.timestamp, "dropped a re-read status no newer than one delivered");
            return None;
        }
        if let Some(at) = crate::time::parse(&status.data.timestamp) {
            vehicle.newest = Some(at);
        }
        self.stats.delivered += 1;
        Some(Event::Message { message: Incoming::VehicleStatus(Box::new(status)), origin: Origin::Resynced })
    }
}

impl Stream for Resync {
    type Item = Result<Event, client::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.tick.is_none()
            && let Some(period) = this.policy.every
        {
            let mut tick = tokio::time::interval_at(Instant::now() + period, period);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            this.tick = Some(tick);
        }
        loop {
            if this.settled {
                this.settled = false;
                return Poll::Ready(Some(Ok(Event::Settled(this.stats))));
            }
            if !this.reads.is_empty()
                && let Poll::Ready(Some(joined)) = this.reads.poll_join_next_with_id(cx)
            {
                let event = match joined {
                    Ok((task, read)) => {
                        this.names.remove(&task);
                        this.settle(read)
                    }
                    Err(error) => {
                        // A read that panicked or was cancelled: free its vehicle for the next round.
                        if let Some(id) = this.names.remove(&error.id()) {
                            this.busy.remove(&id);
                        }
                        tracing::error!(%error, "a re-read task ended abnormally");
                        None
                    }
                };
                this.start();
                this.settled = this.reads.is_empty() && this.queue.is_empty();
                match event {
                    Some(event) => return Poll::Ready(Some(Ok(event))),
                    None => continue,
                }
            }
            if let Some(tick) = this.tick.as_mut()
                && tick.poll_tick(cx).is_ready()
            {
                this.round("period");
                continue;
            }
            return match this.client.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(event))) => Poll::Ready(Some(Ok(this.observe(event)))),
                Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Vehicle;

    fn at(text: &str) -> Option<jiff::Timestamp> {
        crate::time::parse(text)
    }

    #[test]
    fn an_answer_must_be_later_than_everything_delivered() {
        let seen = Vehicle { newest: at("2026-01-01T10:00:00Z"), pushes: 2, unreadable: 0 };
        assert!(seen.is_newer("2026-01-01T10:00:01Z", 2));
        assert!(seen.is_newer("2026-01-01T10:00:01+0000", 1), "pushes with known times compare by time");
        assert!(!seen.is_newer("2026-01-01T10:00:00.000Z", 2), "equal is not newer");
        assert!(!seen.is_newer("2026-01-01T09:59:59Z", 2));
        assert!(Vehicle::default().is_newer("2020-01-01T00:00:00Z", 0), "nothing delivered yet");
    }

    #[test]
    fn without_a_readable_time_nothing_may_have_been_pushed_meanwhile() {
        let seen = Vehicle { newest: at("2026-01-01T10:00:00Z"), pushes: 3, unreadable: 0 };
        assert!(seen.is_newer("last Tuesday", 3));
        assert!(!seen.is_newer("last Tuesday", 2), "a push arrived while it was read");
        // The last push had no readable time and came after the read started.
        let unknown = Vehicle { newest: at("2026-01-01T10:00:00Z"), pushes: 3, unreadable: 3 };
        assert!(!unknown.is_newer("2030-01-01T00:00:00Z", 2));
        assert!(unknown.is_newer("2030-01-01T00:00:00Z", 3), "it came before the read started");
    }
}
