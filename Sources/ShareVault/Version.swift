public enum ShareVaultVersion { public static let string = "0.1.0" }
