//! The handler both examples share: one compact line per vehicle status (pushed or re-read over
//! REST) and per notification.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

use ctechnology_rt::Handler;
use ctechnology_rt::UnknownFrame;
use ctechnology_rt::types::{NotificationPayload, VehicleActionPayload, VehicleProfilePayload, VehicleStatusPayload};

/// Prints every message it is handed on standard output.
pub struct Printer;

fn or_dash(value: Option<f64>, precision: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.precision$}"))
}

/// One line for a vehicle status, `label` saying whether it was pushed or re-read.
fn print_status(label: &str, message: &VehicleStatusPayload) {
    let s = &message.data;
    // Optional, nullable fields are `Option<Option<T>>` (absent, null, value); `flatten`
    // treats absent and null alike.
    let status = s.status.clone().flatten().map_or_else(|| "-".to_owned(), |v| v.to_string());
    let position = match (s.latitude.flatten(), s.longitude.flatten()) {
        (Some(lat), Some(lon)) => format!("{lat:.5},{lon:.5}"),
        _ => "-".to_owned(),
    };
    // Electric vehicles report the traction battery; the main battery is the 12 V one.
    let battery = s.state_of_charge_pct.flatten().or(s.battery_main_pct.flatten());
    println!(
        "{label:<13} {:<30} {:<12} pos {:<22} speed {:>6} km/h  battery {:>5} %  at {}",
        s.vehicle_id,
        status,
        position,
        or_dash(s.speed.flatten(), 1),
        or_dash(battery, 0),
        s.timestamp
    );
}

/// Re-read statuses are marked, so a push and a re-read can be told apart.
impl ctechnology_rest::resync::Handler for Printer {
    fn on_resynced(&mut self, message: VehicleStatusPayload) {
        print_status("re-read", &message);
    }

    fn on_resync_failed(&mut self, vehicle_id: &str, error: &ctechnology_rest::Error) {
        eprintln!("re-reading {vehicle_id} failed: {error}");
    }
}

impl Handler for Printer {
    fn on_vehicle_status(&mut self, message: VehicleStatusPayload) {
        print_status("status", &message);
    }

    fn on_notification(&mut self, message: NotificationPayload) {
        let n = &message.data;
        let priority = n.priority.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
        println!("notification  [{priority}] {}", n.title.as_deref().unwrap_or("(no title)"));
    }

    fn on_vehicle_profile(&mut self, message: VehicleProfilePayload) {
        println!("profile       {}", message.header.uri.as_deref().unwrap_or("-"));
    }

    fn on_vehicle_action(&mut self, message: VehicleActionPayload) {
        println!("action        {}", message.header.uri.as_deref().unwrap_or("-"));
    }

    fn on_unknown(&mut self, frame: UnknownFrame) {
        println!("unknown       channel {}", frame.tag.as_deref().unwrap_or("-"));
    }
}
