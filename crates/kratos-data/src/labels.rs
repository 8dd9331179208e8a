use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{DataError, Result};

/// Cell-type labels: the class names and, for every cell, the index of its class.
///
/// Class names are unique; class `k` is `class_names()[k]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    class_names: Vec<String>,
    assignments: Vec<usize>,
}

impl Labels {
    /// Builds labels from explicit class names and per-cell class indices.
    ///
    /// Errors if a class name repeats or an index is out of range.
    pub fn new(class_names: Vec<String>, assignments: Vec<usize>) -> Result<Self> {
        let mut seen = HashMap::new();
        for (i, name) in class_names.iter().enumerate() {
            if let Some(first) = seen.insert(name.as_str(), i) {
                return Err(DataError::Invalid(format!(
                    "class name `{name}` given twice (classes {first} and {i})"
                )));
            }
        }
        if let Some((cell, &k)) = assignments
            .iter()
            .enumerate()
            .find(|(_, k)| **k >= class_names.len())
        {
            return Err(DataError::Invalid(format!(
                "cell {cell} has class index {k}, but there are only {} classes",
                class_names.len()
            )));
        }
        Ok(Labels {
            class_names,
            assignments,
        })
    }

    /// Builds labels from one class name per cell. Classes are ordered by name, numerically
    /// when every name is an integer (so "2" comes before "10").
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        let mut classes: Vec<String> = names.iter().map(|s| s.as_ref().to_string()).collect();
        classes.sort();
        classes.dedup();
        if classes.iter().all(|c| c.parse::<i64>().is_ok()) {
            classes.sort_by_key(|c| c.parse::<i64>().unwrap_or(0));
        }
        let index: HashMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let assignments = names.iter().map(|n| index[n.as_ref()]).collect();
        Ok(Labels {
            class_names: classes,
            assignments,
        })
    }

    /// The class names; class `k` is `class_names()[k]`.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The class index of every cell.
    pub fn assignments(&self) -> &[usize] {
        &self.assignments
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Number of labelled cells.
    pub fn len(&self) -> usize {
        self.assignments.len()
    }

    /// True if no cell is labelled.
    pub fn is_empty(&self) -> bool {
        self.assignments.is_empty()
    }

    /// The class name of cell `cell`.
    pub fn name_of(&self, cell: usize) -> &str {
        &self.class_names[self.assignments[cell]]
    }

    /// Cells per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for &k in &self.assignments {
            counts[k] += 1;
        }
        counts
    }

    /// The index of a class by name.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.class_names.iter().position(|c| c == name)
    }

    /// The labels of the given cells, keeping every class (even one left without cells).
    pub fn select(&self, cells: &[usize]) -> Labels {
        Labels {
            class_names: self.class_names.clone(),
            assignments: cells.iter().map(|&c| self.assignments[c]).collect(),
        }
    }

    /// Drops classes that have no cell and renumbers the rest, keeping their order.
    pub fn drop_empty_classes(&self) -> Labels {
        let counts = self.class_counts();
        let mut new_index = vec![usize::MAX; counts.len()];
        let mut class_names = Vec::new();
        for (k, &n) in counts.iter().enumerate() {
            if n > 0 {
                new_index[k] = class_names.len();
                class_names.push(self.class_names[k].clone());
            }
        }
        Labels {
            class_names,
            assignments: self.assignments.iter().map(|&k| new_index[k]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_class_names_sort_numerically() {
        let l = Labels::from_names(&["10", "2", "1", "2"]).unwrap();
        assert_eq!(l.class_names(), &["1", "2", "10"]);
        assert_eq!(l.assignments(), &[2, 1, 0, 1]);
        assert_eq!(l.class_counts(), vec![1, 2, 1]);
    }
}
