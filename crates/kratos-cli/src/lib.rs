//! kratos-cli
