using System.Security.Cryptography;

namespace DataTrust.Identity.Keys;

/// <summary>
/// Makes the private keys of new RS256 signing keys (RSA-2048). A class of its own so that tests can hand out keys
/// made once: making one takes a few hundred milliseconds, and every test host makes one when it starts.
/// </summary>
internal class RsaKeySource
{
    public virtual RSA Create() => RSA.Create(2048);
}
