using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DataTrust.Audit.Integrity;
using DataTrust.Audit.Storage;

namespace DataTrust.Audit;

/// <summary>
/// The bytes an entry is hashed as: RFC 8785 canonical JSON of every stored field,
/// <code>{"action":…,"actor":{"id":…,"type":…},"consent":…,"details":{…},"objects":[…],"prev":hex,"recipient":…,"seq":n,"subject":…,"time":…,"v":1}</code>
/// with absent values as null, hashes as lowercase hex and the time as UTC with microseconds.
/// The leaf hash is RFC 9162's SHA-256(0x00 || bytes); "prev" is the previous entry's leaf hash,
/// which chains the entries. An exported bundle holds exactly these bytes, one entry per line.
/// </summary>
internal static class AuditEntryEncoding
{
    public const int Version = 1;
    public const string TimeFormat = Checkpoint.TimeFormat;

    public static byte[] Encode(AuditEntry entry)
    {
        var output = new ArrayBufferWriter<byte>(512);
        Encode(entry, output);
        return output.WrittenSpan.ToArray();
    }

    public static void Encode(AuditEntry entry, ArrayBufferWriter<byte> output)
    {
        output.Write("{\"action\":"u8);
        JsonCanonicalizer.WriteString(entry.Action, output);
        output.Write(",\"actor\":{\"id\":"u8);
        JsonCanonicalizer.WriteString(entry.ActorId, output);
        output.Write(",\"type\":"u8);
        JsonCanonicalizer.WriteString(entry.ActorType, output);
        output.Write("},\"consent\":"u8);
        WriteNullable(entry.Consent, output);
        output.Write(",\"details\":"u8);
        WriteRaw(entry.Details, output); // stored canonical; any edit changes the bytes, which is the point
        output.Write(",\"objects\":"u8);
        WriteRaw(entry.Objects, output);
        output.Write(",\"prev\":\""u8);
        WriteAscii(Convert.ToHexStringLower(entry.PrevHash), output);
        output.Write("\",\"recipient\":"u8);
        WriteNullable(entry.Recipient, output);
        output.Write(",\"seq\":"u8);
        WriteAscii(entry.Seq.ToString(CultureInfo.InvariantCulture), output);
        output.Write(",\"subject\":"u8);
        WriteNullable(entry.Subject, output);
        output.Write(",\"time\":\""u8);
        WriteAscii(FormatTime(entry.RecordedAt), output);
        output.Write("\",\"v\":1}"u8);
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Whole microseconds: PostgreSQL keeps no more, and the entry must re-encode to the same bytes.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Reads an encoded entry back (for bundles and tests). Throws <see cref="FormatException"/> when it is not one.</summary>
    public static AuditEntry Decode(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var actor = root.GetProperty("actor");
            var entry = new AuditEntry
            {
                Seq = root.GetProperty("seq").GetInt64(),
                RecordedAt = DateTimeOffset.ParseExact(root.GetProperty("time").GetString()!, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                ActorType = actor.GetProperty("type").GetString()!,
                ActorId = actor.GetProperty("id").GetString()!,
                Action = root.GetProperty("action").GetString()!,
                Subject = root.GetProperty("subject").GetString(),
                Recipient = root.GetProperty("recipient").GetString(),
                Consent = root.GetProperty("consent").GetString(),
                Objects = root.GetProperty("objects").GetRawText(),
                Details = root.GetProperty("details").GetRawText(),
                PrevHash = Convert.FromHexString(root.GetProperty("prev").GetString()!),
            };
            entry.LeafHash = MerkleHash.Leaf(bytes.Span);
            return entry;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("Not an encoded audit entry: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// Reads only "seq" and "prev" from an encoded entry, fast, for verifying large bundles.
    /// Returns false when the bytes are not a JSON object with both.
    /// </summary>
    public static bool TryReadLink(ReadOnlySpan<byte> bytes, out long seq, Span<byte> prevHash)
    {
        seq = -1;
        var foundPrev = false;
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out seq))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("prev"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length != 2 * MerkleHash.Size ||
                        Convert.FromHexString(Encoding.ASCII.GetString(reader.ValueSpan), prevHash, out _, out var written) != OperationStatus.Done ||
                        written != MerkleHash.Size)
                    {
                        return false;
                    }

                    foundPrev = true;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return seq >= 0 && foundPrev;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void WriteNullable(string? value, ArrayBufferWriter<byte> output)
    {
        if (value is null)
        {
            output.Write("null"u8);
        }
        else
        {
            JsonCanonicalizer.WriteString(value, output);
        }
    }

    private static void WriteRaw(string json, ArrayBufferWriter<byte> output)
    {
        var count = Encoding.UTF8.GetByteCount(json);
        Encoding.UTF8.GetBytes(json, output.GetSpan(count));
        output.Advance(count);
    }

    private static void WriteAscii(string text, ArrayBufferWriter<byte> output)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        output.Advance(text.Length);
    }
}
