namespace DataTrust.Vault.Rotation;

/// <summary>How far a rotation is: items done (rewrapped, re-encrypted or skipped as unreadable) out of the total found at its start.</summary>
internal sealed record RotationProgress(int Done, int Total);
