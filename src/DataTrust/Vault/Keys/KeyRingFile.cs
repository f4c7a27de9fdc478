using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace DataTrust.Vault.Keys;

/// <summary>
/// The key file: a small JSON document with the KEK versions, which one is current, and the versions
/// that were destroyed (no key material, so a version number is never reused):
/// <code>
/// { "format": "datatrust-vault-keys/1", "current": 2,
///   "keys": [ { "version": 2, "created": "2026-11-21T00:00:00Z", "key": "base64 of 32 bytes" } ],
///   "destroyed": [ { "version": 1, "destroyed": "2026-11-21T00:00:00Z" } ] }
/// </code>
/// Key bytes are decoded straight into arrays that are zeroed after use; no key ever becomes a string.
/// </summary>
internal sealed class KeyRingFile : IDisposable
{
    public const string Format = "datatrust-vault-keys/1";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public int Current { get; set; }

    public List<KeyRingFileKey> Keys { get; } = [];

    public List<KeyRingFileDestroyed> Destroyed { get; } = [];

    public int NextVersion => Keys.Select(k => k.Version).Concat(Destroyed.Select(d => d.Version)).DefaultIfEmpty(0).Max() + 1;

    public static KeyRingFile New(TimeProvider time)
    {
        var file = new KeyRingFile { Current = 1 };
        file.Keys.Add(KeyRingFileKey.Generate(1, time));
        return file;
    }

    /// <summary>Reads and checks a key file; any problem is an <see cref="InvalidDataException"/> whose message names no key material.</summary>
    public static KeyRingFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            using var json = JsonDocument.Parse(bytes);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                throw new InvalidDataException($"it is not a {Format} document");
            }

            var file = new KeyRingFile { Current = RequiredInt(root, "current") };
            foreach (var entry in Array(root, "keys"))
            {
                var version = RequiredInt(entry, "version");
                if (!entry.TryGetProperty("key", out var keyText) || keyText.ValueKind != JsonValueKind.String ||
                    !keyText.TryGetBytesFromBase64(out var key) || key.Length != KeyEncryptionKeyRing.KeySize)
                {
                    throw new InvalidDataException($"key version {version} is not a base64-encoded 256-bit key");
                }

                file.Keys.Add(new KeyRingFileKey(version, OptionalTime(entry, "created"), key));
            }

            foreach (var entry in Array(root, "destroyed", optional: true))
            {
                file.Destroyed.Add(new KeyRingFileDestroyed(RequiredInt(entry, "version"), OptionalTime(entry, "destroyed")));
            }

            file.Check();
            return file;
        }
        catch (JsonException)
        {
            // The parser's message can quote a character of the file, which may be key material: not chained.
#pragma warning disable MA0054
            throw new InvalidDataException("it is not valid JSON");
#pragma warning restore MA0054
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Writes the file atomically (temp file, then rename), readable and writable by the owner only.</summary>
    public void Write(string path)
    {
        Check();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var buffer = new ArrayBufferWriter<byte>(16 * 1024); // large enough that it never grows and leaves a copy behind
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                WriteJson(writer);
            }

            var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(buffer.WrittenSpan);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
        }
        finally
        {
            buffer.Clear(); // zeroes the written bytes
        }
    }

    public KeyEncryptionKeyRing ToRing(KeyRingSource source) =>
        new(Keys.Select(k => (k.Version, k.Key)), Current, Destroyed.Select(d => d.Version), source);

    public void Dispose()
    {
        foreach (var key in Keys)
        {
            CryptographicOperations.ZeroMemory(key.Key);
        }
    }

    private void Check()
    {
        var versions = Keys.Select(k => k.Version).Concat(Destroyed.Select(d => d.Version)).ToList();
        if (versions.Any(v => v <= 0))
        {
            throw new InvalidDataException("key versions must be positive whole numbers");
        }

        if (versions.Count != versions.Distinct().Count())
        {
            throw new InvalidDataException("a key version appears twice (among keys and destroyed versions)");
        }

        if (Keys.All(k => k.Version != Current))
        {
            throw new InvalidDataException($"the current version {Current} is not among its keys");
        }
    }

    private void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("current", Current);
        writer.WriteStartArray("keys");
        foreach (var key in Keys.OrderBy(k => k.Version))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", key.Version);
            if (key.Created is { } created)
            {
                writer.WriteString("created", created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            writer.WriteBase64String("key", key.Key);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("destroyed");
        foreach (var destroyed in Destroyed.OrderBy(d => d.Version))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", destroyed.Version);
            if (destroyed.DestroyedAt is { } at)
            {
                writer.WriteString("destroyed", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static int RequiredInt(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new InvalidDataException($"\"{name}\" is missing or not a whole number");

    private static DateTimeOffset? OptionalTime(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;

    private static JsonElement[] Array(JsonElement root, string name, bool optional = false)
    {
        if (root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            return [.. array.EnumerateArray()];
        }

        return optional && array.ValueKind == JsonValueKind.Undefined ? [] : throw new InvalidDataException($"\"{name}\" is missing or not an array");
    }
}

internal sealed record KeyRingFileKey(int Version, DateTimeOffset? Created, byte[] Key)
{
    public static KeyRingFileKey Generate(int version, TimeProvider time) =>
        new(version, time.GetUtcNow(), RandomNumberGenerator.GetBytes(KeyEncryptionKeyRing.KeySize));
}

internal sealed record KeyRingFileDestroyed(int Version, DateTimeOffset? DestroyedAt);
