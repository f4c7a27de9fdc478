namespace DataTrust.Common;

/// <summary>
/// A problem that stops the service from starting and that an operator can fix
/// (a bad policy file, an unreachable database). Its message is shown as is, without a stack trace.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
