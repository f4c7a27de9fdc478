using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using DataTrust.Audit.Integrity;

namespace DataTrust.Tests.Audit;

public sealed class CheckpointTests
{
    private static readonly Checkpoint Sample = new("datatrust/audit", 42, MerkleHash.Leaf("x"u8), new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_signed_checkpoint_reads_back_and_verifies_with_its_public_key_only()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyId = AuditJwk.Thumbprint(key);
        var jws = CheckpointJws.Sign(Sample, keyId, key);

        var (checkpoint, kid) = CheckpointJws.Read(jws)!.Value;
        checkpoint.TreeSize.ShouldBe(42);
        checkpoint.RootHash.ShouldBe(Sample.RootHash);
        checkpoint.Time.ShouldBe(Sample.Time);
        kid.ShouldBe(keyId);

        var published = AuditJwk.ReadSet($"{{\"keys\":[{AuditJwk.ToJwk(key, keyId).ToJsonString()}]}}");
        CheckpointJws.VerifySignature(jws, published[keyId]).ShouldBeTrue();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CheckpointJws.VerifySignature(jws, other).ShouldBeFalse();
    }

    [Fact]
    public void The_header_and_payload_are_canonical_JSON_and_ES256()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parts = CheckpointJws.Sign(Sample, "kid-1", key).Split('.');

        Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])).ShouldBe("{\"alg\":\"ES256\",\"kid\":\"kid-1\",\"typ\":\"audit-checkpoint+jws\"}");
        Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).ShouldBe(
            $"{{\"origin\":\"datatrust/audit\",\"rootHash\":\"{Sample.RootHashHex}\",\"time\":\"2026-11-21T09:00:00.000000Z\",\"treeSize\":42}}");
        Base64Url.DecodeFromChars(parts[2]).Length.ShouldBe(64); // r || s, RFC 7518 §3.4
    }

    [Fact]
    public void Changing_any_part_breaks_the_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jws = CheckpointJws.Sign(Sample, "kid-1", key);
        var forged = CheckpointJws.Sign(Sample with { TreeSize = 41 }, "kid-1", key).Split('.');
        var parts = jws.Split('.');

        CheckpointJws.VerifySignature($"{parts[0]}.{forged[1]}.{parts[2]}", key).ShouldBeFalse();
        CheckpointJws.VerifySignature($"{parts[0]}.{parts[1]}.{forged[2]}", key).ShouldBeFalse();
        CheckpointJws.Read("not.a.checkpoint").ShouldBeNull();
        CheckpointJws.Read("").ShouldBeNull();
    }

    [Fact]
    public void The_key_id_is_the_RFC_7638_thumbprint()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = AuditJwk.ToJwk(key, "x");
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{jwk["x"]}\",\"y\":\"{jwk["y"]}\"}}";

        AuditJwk.Thumbprint(key).ShouldBe(Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
    }
}
