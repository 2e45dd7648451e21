//! The hand-off from a client's socket task to its consumer (the WebSocket, MQTT and NATS
//! clients all use it).
//!
//! Events travel in batches: the socket task collects the frames that one read of the socket
//! yielded and sends them together, so a burst of frames costs the consumer one wake-up and one
//! channel operation instead of one per message. The batch is never held back waiting for more
//! frames: it goes out as soon as the socket has nothing ready, so latency does not change.
//!
//! The capacity counts events, not batches: a semaphore holds one permit per event that may
//! wait, the sender takes permits for a whole batch before sending it, and the receiver returns
//! them once the consumer has taken the batch's last event. When the permits run out the sender waits, which is the
//! client's backpressure (see [`Client`](super::Client)).

use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{Semaphore, mpsc, watch};

use super::stopped;

/// What a client's task hands to the consumer: an event it made, or what it read (a frame, a
/// broker's message), which the consumer turns into its event when it takes it.
///
/// Decoding where the message is used keeps its allocations on one thread: a payload decoded by
/// the socket task and dropped by the consumer on another thread costs a cross-thread free for
/// each of its strings and vectors, and with the system allocator those contend for one arena
/// lock.
pub(crate) enum Handed<E, R> {
    Event(Box<E>),
    Read(R),
}

impl<E, R> Handed<E, R> {
    pub(crate) fn item(event: E) -> Self {
        Handed::Event(Box::new(event))
    }

    /// The event, `decode` making it from what was read.
    pub(crate) fn into_item(self, decode: impl FnOnce(R) -> E) -> E {
        match self {
            Handed::Event(event) => *event,
            Handed::Read(read) => decode(read),
        }
    }
}

/// The most events in one batch (and never more than the capacity, so that a batch can always
/// get its permits).
const MOST_PER_BATCH: usize = 64;

/// A hand-off for at most `capacity` waiting events (`capacity` ≥ 1).
pub(crate) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let permits = Arc::new(Semaphore::new(capacity));
    let most = MOST_PER_BATCH.min(capacity).max(1);
    let sender = Sender { tx, permits: permits.clone(), batch: Vec::new(), most };
    let receiver = Receiver { rx, permits, capacity, ready: Vec::new().into_iter(), held: 0 };
    (sender, receiver)
}

/// The socket task's end: events are [`push`](Sender::push)ed into the open batch, which
/// [`flush`](Sender::flush) sends.
pub(crate) struct Sender<T> {
    tx: mpsc::UnboundedSender<Vec<T>>,
    permits: Arc<Semaphore>,
    batch: Vec<T>,
    most: usize,
}

impl<T> Sender<T> {
    /// Whether the open batch can take no more events.
    pub(crate) fn is_full(&self) -> bool {
        self.batch.len() >= self.most
    }

    /// Whether no event waits in the open batch.
    pub(crate) fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Adds `item` to the open batch; call [`flush`](Self::flush) before the batch is full.
    pub(crate) fn push(&mut self, item: T) {
        self.batch.push(item);
    }

    /// Adds `item` and sends the batch.
    pub(crate) async fn send(&mut self, stop: &mut watch::Receiver<bool>, item: T) -> bool {
        self.push(item);
        self.flush(stop).await
    }

    /// Sends the open batch to the consumer, waiting while `capacity` events wait already.
    /// `false`: stop (shutdown was requested, or the consumer is gone); the batch is dropped.
    pub(crate) async fn flush(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        if self.batch.is_empty() {
            return !self.tx.is_closed();
        }
        // At most `most` ≤ 64 events, so the count fits.
        let n = u32::try_from(self.batch.len()).unwrap_or(u32::MAX);
        let acquired = match self.permits.try_acquire_many(n) {
            Ok(permit) => Ok(permit),
            Err(tokio::sync::TryAcquireError::Closed) => return false,
            Err(tokio::sync::TryAcquireError::NoPermits) => tokio::select! {
                biased;
                () = stopped(stop) => return false,
                permit = self.permits.acquire_many(n) => permit.map_err(drop),
            },
        };
        let Ok(permit) = acquired else { return false };
        // The receiver gives the permits back when it takes the batch.
        permit.forget();
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.most));
        self.tx.send(batch).is_ok()
    }
}

/// The consumer's end.
pub(crate) struct Receiver<T> {
    rx: mpsc::UnboundedReceiver<Vec<T>>,
    permits: Arc<Semaphore>,
    capacity: usize,
    /// The rest of the batch taken last.
    ready: std::vec::IntoIter<T>,
    /// The permits of that batch, returned once it is empty.
    held: usize,
}

impl<T> Receiver<T> {
    /// The next event; `None` once the sender is gone and every event was taken.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        loop {
            if let Some(item) = self.ready.next() {
                if self.ready.len() == 0 {
                    self.permits.add_permits(std::mem::take(&mut self.held));
                }
                return Poll::Ready(Some(item));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(batch)) => {
                    self.held = batch.len();
                    self.ready = batch.into_iter();
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The next event; `None` once the sender is gone and every event was taken.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// How many events wait: those sent and not taken yet.
    pub(crate) fn len(&self) -> usize {
        // Permits out = events in the channel + the whole current batch, taken ones included.
        let out = self.capacity.saturating_sub(self.permits.available_permits());
        out.saturating_sub(self.held - self.ready.len())
    }
}

// Events are moved out, never pinned in place, so the receiver may move whatever they are.
impl<T> Unpin for Receiver<T> {}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // A sender waiting for permits learns that nobody will return them.
        self.permits.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_arrive_in_order_and_the_capacity_counts_events() {
        let (_stop_tx, mut stop) = watch::channel(false);
        let (mut tx, mut rx) = channel::<u32>(3);
        for i in 0..3 {
            tx.push(i);
        }
        assert!(tx.is_full());
        assert!(tx.flush(&mut stop).await);
        assert_eq!(rx.len(), 3);
        // A fourth event must wait for the consumer: the three sent hold every permit.
        tx.push(3);
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), tx.flush(&mut stop)).await;
        assert!(waiting.is_err(), "the sender went past the capacity");
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(rx.len(), 2);
        // The batch's permits come back only once all of it is taken: until then the waiting
        // events and the sender's open batch would exceed the capacity.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), tx.flush(&mut stop)).await;
        assert!(waiting.is_err(), "the sender went past the capacity");
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.len(), 0);
        assert!(tx.flush(&mut stop).await);
        assert_eq!(rx.len(), 1);
        drop(tx);
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_sender_stops_when_the_consumer_goes_or_stop_is_asked() {
        let (stop_tx, mut stop) = watch::channel(false);
        let (mut tx, rx) = channel::<u32>(1);
        assert!(tx.send(&mut stop, 0).await);
        let consumer_gone = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            drop(rx);
        };
        let (sent, ()) = tokio::join!(tx.send(&mut stop, 1), consumer_gone);
        assert!(!sent);

        let (mut tx, _rx) = channel::<u32>(1);
        assert!(tx.send(&mut stop, 0).await);
        let stop_asked = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let _ = stop_tx.send(true);
        };
        let (sent, ()) = tokio::join!(tx.send(&mut stop, 1), stop_asked);
        assert!(!sent);
    }
}
