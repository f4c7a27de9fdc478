using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataTrust.Audit.Integrity;

/// <summary>A signed statement that the log named <see cref="Origin"/> held <see cref="TreeSize"/> entries whose Merkle root was <see cref="RootHash"/>.</summary>
internal sealed record Checkpoint(string Origin, long TreeSize, byte[] RootHash, DateTimeOffset Time)
{
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public string RootHashHex => Convert.ToHexStringLower(RootHash);

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
}

/// <summary>
/// Checkpoints travel as JWS compact serialisations (RFC 7515) signed with ES256 (ECDSA P-256,
/// SHA-256, RFC 7518 §3.4). Header: <c>{"alg":"ES256","kid":…,"typ":"audit-checkpoint+jws"}</c>.
/// Payload: the RFC 8785 canonical JSON <c>{"origin":…,"rootHash":hex,"time":…,"treeSize":n}</c>.
/// Both are canonical, so the same checkpoint always has the same signing input.
/// </summary>
internal static class CheckpointJws
{
    public const string Type = "audit-checkpoint+jws";
    public const string Algorithm = "ES256";

    public static string Sign(Checkpoint checkpoint, string keyId, ECDsa key)
    {
        var header = JsonCanonicalizer.CanonicalizeValue(new JsonObject { ["alg"] = Algorithm, ["kid"] = keyId, ["typ"] = Type });
        var payload = JsonCanonicalizer.CanonicalizeValue(new JsonObject
        {
            ["origin"] = checkpoint.Origin,
            ["rootHash"] = checkpoint.RootHashHex,
            ["time"] = Checkpoint.FormatTime(checkpoint.Time),
            ["treeSize"] = checkpoint.TreeSize,
        });
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Reads a checkpoint without checking its signature; null when it is not a well-formed checkpoint JWS.</summary>
    public static (Checkpoint Checkpoint, string KeyId)? Read(string jws)
    {
        var parts = jws.Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var h = header.RootElement;
            var p = payload.RootElement;
            if (h.GetProperty("alg").GetString() != Algorithm || h.GetProperty("typ").GetString() != Type)
            {
                return null;
            }

            var root = Convert.FromHexString(p.GetProperty("rootHash").GetString()!);
            var size = p.GetProperty("treeSize").GetInt64();
            var time = DateTimeOffset.ParseExact(p.GetProperty("time").GetString()!, Checkpoint.TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            if (root.Length != MerkleHash.Size || size < 0)
            {
                return null;
            }

            return (new Checkpoint(p.GetProperty("origin").GetString()!, size, root, time), h.GetProperty("kid").GetString()!);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Checks the ES256 signature with the public key named by the header's kid.</summary>
    public static bool VerifySignature(string jws, ECDsa publicKey)
    {
        var trimmed = jws.Trim();
        var lastDot = trimmed.LastIndexOf('.');
        if (lastDot < 0)
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Base64Url.DecodeFromChars(trimmed.AsSpan(lastDot + 1));
        }
        catch (FormatException)
        {
            return false;
        }

        return signature.Length == 64 &&
            publicKey.VerifyData(Encoding.ASCII.GetBytes(trimmed[..lastDot]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}

/// <summary>P-256 public keys as JWK (RFC 7517/7518), named by their RFC 7638 thumbprint.</summary>
internal static class AuditJwk
{
    public static JsonObject ToJwk(ECDsa key, string keyId)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
            ["kid"] = keyId,
            ["use"] = "sig",
            ["alg"] = CheckpointJws.Algorithm,
        };
    }

    /// <summary>RFC 7638: SHA-256 over the canonical required members, base64url.</summary>
    public static string Thumbprint(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var required = JsonCanonicalizer.CanonicalizeValue(new JsonObject
        {
            ["crv"] = "P-256",
            ["kty"] = "EC",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
        });
        return Base64Url.EncodeToString(SHA256.HashData(required));
    }

    /// <summary>Reads the P-256 keys of a JWK Set by kid; other keys are skipped.</summary>
    public static Dictionary<string, ECDsa> ReadSet(string jwkSetJson)
    {
        var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        var set = JsonNode.Parse(jwkSetJson)?["keys"]?.AsArray() ?? throw new FormatException("Not a JWK Set: no \"keys\" array.");
        foreach (var jwk in set)
        {
            if (jwk?["kty"]?.GetValue<string>() != "EC" || jwk["crv"]?.GetValue<string>() != "P-256" || jwk["kid"]?.GetValue<string>() is not { } kid)
            {
                continue;
            }

            var key = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint
                {
                    X = Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()),
                    Y = Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()),
                },
            });
            keys[kid] = key;
        }

        return keys;
    }
}
