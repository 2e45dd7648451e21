//! Hand-written checks of the generated parameter structs (the generator owns `src/` and
//! `tests/examples*` of this crate, not this file).

use fixture_channel_parameters::Channel;
use fixture_channel_parameters::channels::{SensorReadingParams, VehicleStatusParams};

#[test]
fn an_address_is_built_from_typed_parameters() {
    let p = VehicleStatusParams { vehicle_id: "veh_1".into() };
    assert_eq!(p.address(), "vehicles/veh_1/status");
    assert_eq!(VehicleStatusParams::TEMPLATE, "vehicles/{vehicleId}/status");
}

#[test]
fn an_address_is_parsed_back_into_its_parameters() {
    let p = SensorReadingParams::parse("vehicles/veh_1/sensors/temp_1").expect("matches the template");
    assert_eq!((p.vehicle_id.as_str(), p.sensor_id.as_str()), ("veh_1", "temp_1"));
    assert_eq!(p.address(), "vehicles/veh_1/sensors/temp_1");
    assert_eq!(SensorReadingParams::parse("vehicles/veh_1/status"), None);
    assert_eq!(SensorReadingParams::parse("vehicles//sensors/temp_1"), None);
}

#[test]
fn filled_in_addresses_find_their_channel() {
    assert_eq!(Channel::from_address("vehicles/veh_9/status"), Some(Channel::VehicleStatus));
    assert_eq!(Channel::from_address("vehicles/veh_9/sensors/x"), Some(Channel::SensorReading));
    assert_eq!(Channel::from_address("vehicles/veh_9"), None);
}
