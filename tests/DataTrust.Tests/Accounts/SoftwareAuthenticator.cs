using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DataTrust.Tests.Accounts;

/// <summary>
/// A WebAuthn authenticator in software, for driving the passkey ceremonies from tests: one ES256
/// credential, <c>none</c> attestation, answers shaped like a browser's <c>PublicKeyCredential.toJSON()</c>.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private uint _signCount;

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(16);

    /// <summary>The WebAuthn user handle given at registration.</summary>
    public string? UserHandle { get; private set; }

    public void Dispose() => _key.Dispose();

    /// <summary>The answer to <c>navigator.credentials.create()</c> for these creation options.</summary>
    public string Create(JsonElement options, string origin, string? challenge = null)
    {
        var rpId = options.GetProperty("rp").GetProperty("id").GetString()!;
        UserHandle = options.GetProperty("user").GetProperty("id").GetString();
        var clientData = ClientData("webauthn.create", challenge ?? options.GetProperty("challenge").GetString()!, origin);

        var point = _key.ExportParameters(includePrivateParameters: false).Q;
        var coseKey = new Cbor().Map(5)
            .Int(1).Int(2) // kty: EC2
            .Int(3).Int(-7) // alg: ES256
            .Int(-1).Int(1) // crv: P-256
            .Int(-2).Bytes(point.X!)
            .Int(-3).Bytes(point.Y!)
            .ToArray();
        var authenticatorData = new List<byte>();
        authenticatorData.AddRange(SHA256.HashData(Encoding.UTF8.GetBytes(rpId)));
        authenticatorData.Add(0x01 | 0x04 | 0x40); // user present, user verified, attested credential data
        authenticatorData.AddRange(BigEndian(_signCount));
        authenticatorData.AddRange(new byte[16]); // AAGUID
        authenticatorData.AddRange(BigEndian((ushort)CredentialId.Length));
        authenticatorData.AddRange(CredentialId);
        authenticatorData.AddRange(coseKey);
        var attestationObject = new Cbor().Map(3)
            .Text("fmt").Text("none")
            .Text("attStmt").Map(0)
            .Text("authData").Bytes([.. authenticatorData])
            .ToArray();

        return Credential(new JsonObject
        {
            ["clientDataJSON"] = B64(clientData),
            ["attestationObject"] = B64(attestationObject),
            ["transports"] = new JsonArray("internal"),
        });
    }

    /// <summary>The answer to <c>navigator.credentials.get()</c> for these request options.</summary>
    public string Get(JsonElement options, string origin, string? challenge = null, string? rpId = null)
    {
        rpId ??= options.GetProperty("rpId").GetString()!;
        var clientData = ClientData("webauthn.get", challenge ?? options.GetProperty("challenge").GetString()!, origin);
        _signCount++;
        var authenticatorData = new List<byte>();
        authenticatorData.AddRange(SHA256.HashData(Encoding.UTF8.GetBytes(rpId)));
        authenticatorData.Add(0x01 | 0x04);
        authenticatorData.AddRange(BigEndian(_signCount));
        byte[] signed = [.. authenticatorData, .. SHA256.HashData(clientData)];
        var signature = _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return Credential(new JsonObject
        {
            ["clientDataJSON"] = B64(clientData),
            ["authenticatorData"] = B64([.. authenticatorData]),
            ["signature"] = B64(signature),
            ["userHandle"] = UserHandle,
        });
    }

    private string Credential(JsonObject response) => new JsonObject
    {
        ["id"] = B64(CredentialId),
        ["rawId"] = B64(CredentialId),
        ["type"] = "public-key",
        ["response"] = response,
        ["authenticatorAttachment"] = "platform",
        ["clientExtensionResults"] = new JsonObject(),
    }.ToJsonString();

    private static byte[] ClientData(string type, string challenge, string origin) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false }.ToJsonString());

    private static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>Just enough of a CBOR writer (RFC 8949) for attestation objects and COSE keys.</summary>
    private sealed class Cbor
    {
        private readonly List<byte> _bytes = [];

        public Cbor Map(int entries) => Head(5, (ulong)entries);

        public Cbor Int(long value) => value >= 0 ? Head(0, (ulong)value) : Head(1, (ulong)(-1 - value));

        public Cbor Bytes(byte[] value)
        {
            Head(2, (ulong)value.Length);
            _bytes.AddRange(value);
            return this;
        }

        public Cbor Text(string value)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            Head(3, (ulong)utf8.Length);
            _bytes.AddRange(utf8);
            return this;
        }

        public byte[] ToArray() => [.. _bytes];

        private Cbor Head(int major, ulong argument)
        {
            var type = (byte)(major << 5);
            if (argument < 24)
            {
                _bytes.Add((byte)(type | (byte)argument));
            }
            else if (argument <= byte.MaxValue)
            {
                _bytes.Add((byte)(type | 24));
                _bytes.Add((byte)argument);
            }
            else
            {
                _bytes.Add((byte)(type | 25));
                _bytes.AddRange(BigEndian((ushort)argument));
            }

            return this;
        }
    }
}
