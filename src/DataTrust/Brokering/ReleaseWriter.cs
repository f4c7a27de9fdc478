using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DataTrust.Brokering;

/// <summary>
/// Writes a release's body in memory, before anything is committed or sent: DataTrust JSON, or NGSI-LD
/// entities (ETSI GS CIM 009) for City OS context brokers. Neither carries a vault record id: ids shared
/// by two recipients would let them join residents (promise 7).
/// </summary>
internal static class ReleaseWriter
{
    public const string NgsiLdCoreContext = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

    public static byte[] Write(ReleaseContent content, bool ngsiLd)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (ngsiLd)
            {
                WriteNgsiLd(writer, content);
            }
            else
            {
                WriteJson(writer, content);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteJson(Utf8JsonWriter writer, ReleaseContent content)
    {
        writer.WriteStartObject();
        writer.WriteString("releaseId", content.ReleaseId);
        writer.WriteString("consentId", content.ConsentId);
        writer.WriteString("subject", content.Subject);
        writer.WriteString("purpose", content.Purpose);
        writer.WriteString("policyVersion", content.PolicyVersion);
        writer.WriteString("releasedAt", content.ReleasedAt);
        WriteOptional(writer, "dataFrom", content.DataFrom);
        WriteOptional(writer, "dataTo", content.DataTo);
        writer.WriteStartArray("records");
        foreach (var record in content.Records)
        {
            writer.WriteStartObject();
            writer.WriteString("category", record.Category);
            writer.WriteString("dataDate", record.DataDate);
            writer.WriteStartObject("fields");
            foreach (var (name, value) in record.Fields)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>One entity per record: <c>urn:ngsi-ld:{Type}:{releaseId}-{n}</c>, each field a Property observed at the record's data date.</summary>
    private static void WriteNgsiLd(Utf8JsonWriter writer, ReleaseContent content)
    {
        writer.WriteStartArray();
        var n = 0;
        foreach (var record in content.Records)
        {
            var type = EntityType(record.Category);
            var observedAt = record.DataDate.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            writer.WriteStartObject();
            writer.WriteString("id", $"urn:ngsi-ld:{type}:{content.ReleaseId:D}-{++n}");
            writer.WriteString("type", type);
            Property(writer, "subject", w => w.WriteStringValue(content.Subject), null);
            Property(writer, "purpose", w => w.WriteStringValue(content.Purpose), null);
            Property(writer, "releaseId", w => w.WriteStringValue(content.ReleaseId), null);
            Property(writer, "policyVersion", w => w.WriteStringValue(content.PolicyVersion), null);
            foreach (var (name, value) in record.Fields)
            {
                Property(writer, name, value.WriteTo, observedAt);
            }

            writer.WriteStartArray("@context");
            writer.WriteStringValue(NgsiLdCoreContext);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void Property(Utf8JsonWriter writer, string name, Action<Utf8JsonWriter> value, string? observedAt)
    {
        writer.WriteStartObject(name);
        writer.WriteString("type", "Property");
        writer.WritePropertyName("value");
        value(writer);
        if (observedAt is not null)
        {
            writer.WriteString("observedAt", observedAt);
        }

        writer.WriteEndObject();
    }

    /// <summary><c>resident-basic</c> → <c>ResidentBasic</c>.</summary>
    internal static string EntityType(string category)
    {
        var name = new StringBuilder(category.Length);
        foreach (var part in category.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            name.Append(char.ToUpperInvariant(part[0])).Append(part.AsSpan(1));
        }

        return name.ToString();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.WriteString(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
