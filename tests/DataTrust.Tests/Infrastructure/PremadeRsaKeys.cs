using System.Security.Cryptography;
using DataTrust.Identity.Keys;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// RS256 signing keys for test hosts from a small pool made once per test run, handed out in turn, so that one host's
/// keys (first key, rotations) differ from each other and from the hosts started just before it. Making a fresh
/// RSA key per host took most of a host's start.
/// </summary>
internal sealed class PremadeRsaKeys : RsaKeySource
{
    private const int PoolSize = 16;
    private static readonly List<byte[]> Pool = [];
    private static readonly Lock PoolLock = new();
    private static int _next = -1;

    public override RSA Create()
    {
        var index = (int)((uint)Interlocked.Increment(ref _next) % PoolSize);
        byte[] pkcs8;
        lock (PoolLock)
        {
            while (Pool.Count <= index)
            {
                using var fresh = RSA.Create(2048);
                Pool.Add(fresh.ExportPkcs8PrivateKey());
            }

            pkcs8 = Pool[index];
        }

        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    }
}
