use serde::{Deserialize, Serialize};

/// The ground-truth role of a gene in a simulated data set (see the Kratos paper and
/// `kratos-sim`): it drives the cell type, is a linear mix of genes that do, or is unrelated noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeneRole {
    /// Expression depends on the cell type.
    Causal,
    /// A linear combination of causal genes plus noise.
    Dependent,
    /// Independent of the cell type.
    Noise,
}

impl GeneRole {
    /// The lowercase name used in files (`causal`, `dependent`, `noise`).
    pub fn as_str(self) -> &'static str {
        match self {
            GeneRole::Causal => "causal",
            GeneRole::Dependent => "dependent",
            GeneRole::Noise => "noise",
        }
    }

    /// Parses `causal`, `dependent` (or `dep`) and `noise` (or `useless`), case-insensitively.
    pub fn parse(text: &str) -> Option<GeneRole> {
        match text.trim().to_ascii_lowercase().as_str() {
            "causal" => Some(GeneRole::Causal),
            "dependent" | "dep" => Some(GeneRole::Dependent),
            "noise" | "useless" => Some(GeneRole::Noise),
            _ => None,
        }
    }

    /// The role encoded in a column name of the published Kratos simulation CSVs
    /// (`causal*`, `dep*`, `useless*`), or `None` for any other name.
    pub fn from_published_name(name: &str) -> Option<GeneRole> {
        let n = name.trim().trim_matches('"');
        if n.starts_with("causal") {
            Some(GeneRole::Causal)
        } else if n.starts_with("dep") {
            Some(GeneRole::Dependent)
        } else if n.starts_with("useless") {
            Some(GeneRole::Noise)
        } else {
            None
        }
    }
}

impl std::fmt::Display for GeneRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_names_map_to_roles() {
        assert_eq!(
            GeneRole::from_published_name("causal12"),
            Some(GeneRole::Causal)
        );
        assert_eq!(
            GeneRole::from_published_name("dep3"),
            Some(GeneRole::Dependent)
        );
        assert_eq!(
            GeneRole::from_published_name("useless99"),
            Some(GeneRole::Noise)
        );
        assert_eq!(GeneRole::from_published_name("CD3E"), None);
        for r in [GeneRole::Causal, GeneRole::Dependent, GeneRole::Noise] {
            assert_eq!(GeneRole::parse(r.as_str()), Some(r));
        }
    }
}
