//! kratos-metrics
