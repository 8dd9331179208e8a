//! kratos-sim
