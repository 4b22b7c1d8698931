#pragma once

namespace terndb::server {
// terndb's own version.
inline constexpr const char* kTerndbVersion = "0.1.0";
// The Redis version terndb answers as (clients check it: Sidekiq 7 wants >= 6.2).
inline constexpr const char* kRedisCompatVersion = "7.0.15";
}  // namespace terndb::server
