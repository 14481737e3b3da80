/// Services the host itself offers to every module (provider `core`).

/// Password hashing (argon2id) for modules that manage accounts.
public protocol PasswordService: Sendable {
    func hash(_ password: String) throws -> String
}

/// What is installed: modules in registry order and every declared permission.
public protocol PlatformDirectory: Sendable {
    var modules: [ModuleManifest] { get }
    var permissions: [Permission] { get }
}

/// Modules switched on and off per deployment without a rebuild (系统管理 → 模块管理). A module
/// that is off has no menu, routes or inbox items; its data stays. A module is on only when the
/// modules it depends on are on.
public protocol ModuleSwitchboard: Sendable {
    /// Every installed module, in registry order, with its state.
    func states(_ ctx: Context) throws -> [ModuleSwitchState]
    /// Switches a module on or off (with an audit row). Throws `ModuleSwitchRefusal` (a
    /// Chinese message) when the configuration or a dependency does not allow it.
    func set(_ id: String, enabled: Bool, reason: String, _ ctx: Context) throws
}

public struct ModuleSwitchState: Sendable, Equatable {
    public var id: String
    public var title: String
    public var version: String
    /// On for users (switched on, not off by configuration, every dependency on).
    public var enabled: Bool
    /// Switched off in the configuration (`disabledModules`): only IT can switch it on.
    public var offByConfiguration: Bool
    public var dependencies: [String]
    /// Installed modules that depend on this one.
    public var dependents: [String]

    public init(id: String, title: String, version: String, enabled: Bool, offByConfiguration: Bool, dependencies: [String],
                dependents: [String]) {
        self.id = id
        self.title = title
        self.version = version
        self.enabled = enabled
        self.offByConfiguration = offByConfiguration
        self.dependencies = dependencies
        self.dependents = dependents
    }
}

public struct ModuleSwitchRefusal: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
