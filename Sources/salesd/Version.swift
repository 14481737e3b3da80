/// The version of salesd, printed by `salesd --version`. The one place it is defined: packaging
/// and release notes read it from here (or from `salesd --version`).
let salesdVersion = "1.0.0"
