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
