//! The decode benchmark's baseline: the payload structs of the spec of record's `vehicleStatus`
//! and `notification` messages as one would write them by hand, with serde's
//! `#[derive(Deserialize)]` (the generated crate writes its `Deserialize` with the runtime's
//! `__serde_struct!` instead). The members are the generated structs' (docs left out), with the
//! serde attributes that give the same wire format; the enums and constant types are the
//! generated ones. The benchmark
//! checks, before it measures, that these and the generated types decode every example of the
//! two messages to the same JSON, so a spec change that this file misses stops it.

#![allow(dead_code)]

use ctechnology_rt::types::{
    NotificationPayloadHeaderChannel, NotificationPriority, VehicleStatusPayloadHeaderChannel, VehicleStatusStatus,
};

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
pub struct NotificationPayload {
    pub data: Notification,
    pub header: NotificationPayloadHeader,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq, Default)]
pub struct NotificationPayloadHeader {
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub api_version: ::std::option::Option<::std::string::String>,
    pub channel: NotificationPayloadHeaderChannel,
    #[serde(rename = "type", skip_serializing_if = "::std::option::Option::is_none")]
    pub type_: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub uri: ::std::option::Option<::std::string::String>,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]
pub struct Notification {
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub action_id: ::std::option::Option<::std::string::String>,
    #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
    pub data: ::std::option::Option<::serde_json::Map<::std::string::String, ::serde_json::Value>>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub description: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub id: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub message: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub priority: ::std::option::Option<NotificationPriority>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub read: ::std::option::Option<bool>,
    #[serde(rename = "readOnly", skip_serializing_if = "::std::option::Option::is_none")]
    pub read_only: ::std::option::Option<bool>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub timestamp: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub title: ::std::option::Option<::std::string::String>,
    #[serde(rename = "type", skip_serializing_if = "::std::option::Option::is_none")]
    pub type_: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub vehicle_id: ::std::option::Option<::std::string::String>,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
pub struct VehicleStatusPayload {
    pub data: VehicleStatus,
    pub header: VehicleStatusPayloadHeader,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq, Default)]
pub struct VehicleStatusPayloadHeader {
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub api_version: ::std::option::Option<::std::string::String>,
    pub channel: VehicleStatusPayloadHeaderChannel,
    #[serde(rename = "type", skip_serializing_if = "::std::option::Option::is_none")]
    pub type_: ::std::option::Option<::std::string::String>,
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    pub uri: ::std::option::Option<::std::string::String>,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
pub struct VehicleStatus {
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub altitude: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub angle: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_1_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_1_trend: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_1_trend_slope: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_1_voltage: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_2_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_2_trend: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_2_trend_slope: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_2_voltage: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_3_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_3_trend: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_3_trend_slope: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_3_voltage: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_4_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_4_trend: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_4_trend_slope: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_ext_4_voltage: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_main_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_main_trend: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_main_trend_slope: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub battery_main_voltage: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub current_power_w: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub distance_to_shore: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub expected_range: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub fuel_level: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub fuel_level_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub ignition_on: ::std::option::Option<::std::option::Option<bool>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub last_update: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub last_valid_location_update: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub latitude: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub longitude: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub pdop_value: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub remaining_energy_ah: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub remaining_energy_wh: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub sensor_temp_1_state: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub sensor_temp_2_state: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub sensor_temp_3_state: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub sensor_temp_4_state: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub shore_zone: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub speed: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub state_of_charge_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub status: ::std::option::Option<::std::option::Option<VehicleStatusStatus>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub temp_1: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub temp_2: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub temp_3: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub temp_4: ::std::option::Option<::std::option::Option<f64>>,
    pub timestamp: ::std::string::String,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub total_odometer: ::std::option::Option<::std::option::Option<f64>>,
    pub vehicle_id: ::std::string::String,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub vehicle_status_hd: ::std::option::Option<::std::option::Option<VehicleStatusHd>>,
}

#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]
pub struct VehicleStatusHd {
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_aux_battery_voltage_v: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_canbus_last_update_timestamp: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_charge_plug_status: ::std::option::Option<::std::option::Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_charge_status: ::std::option::Option<::std::option::Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_estimated_charge_time_to_full_s: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_hv_battery_soc_pct: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_hv_battery_temperature_avg_deg_c: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_ignition_power_mode: ::std::option::Option<::std::option::Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_inverter_temperature_deg_c: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_last_update: ::std::option::Option<::std::option::Option<::std::string::String>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_lock_status: ::std::option::Option<::std::option::Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_motor_rpm: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_motor_temperature_deg_c: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_odometer_m: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_range_remaining_lt_avg_m: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_range_remaining_max_m: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_range_remaining_min_m: ::std::option::Option<::std::option::Option<f64>>,
    #[serde(
        default,
        skip_serializing_if = "::std::option::Option::is_none",
        deserialize_with = "::asyncapi_runtime::__private::present"
    )]
    pub hd_vehicle_speed_km_h: ::std::option::Option<::std::option::Option<f64>>,
}
