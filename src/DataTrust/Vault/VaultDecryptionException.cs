using System.Diagnostics.CodeAnalysis;

namespace DataTrust.Vault;

/// <summary>
/// The one error for every way a stored record can fail to decrypt: a flipped bit in ciphertext, nonce or
/// tag, a record moved to another row, resident or category, a data key that is missing or erased, a
/// key-encryption key version that is no longer in the ring. It fails closed and says nothing about which,
/// so it cannot serve as an oracle; operators find the reason code in the service log.
/// </summary>
[SuppressMessage("Roslynator", "RCS1194", Justification = "One fixed message on purpose: the error must carry no detail about why.")]
public sealed class VaultDecryptionException : Exception
{
    public VaultDecryptionException()
        : base(GenericMessage)
    {
    }

    internal const string GenericMessage = "The vault record could not be decrypted.";
}
