using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DataTrust.Audit.Integrity;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme: no insignificant whitespace, object members sorted by the
/// UTF-16 code units of their names, strings escaped as ECMAScript's JSON.stringify does, numbers as
/// ECMAScript's Number.prototype.toString writes an IEEE 754 double. Input outside I-JSON (duplicate
/// member names, lone surrogates, numbers that are not finite doubles) is refused.
/// </summary>
internal static class JsonCanonicalizer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    public static byte[] Canonicalize(ReadOnlyMemory<byte> utf8Json)
    {
        using var document = Parse(utf8Json);
        var output = new ArrayBufferWriter<byte>(Math.Max(64, utf8Json.Length));
        WriteValue(document.RootElement, output);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Canonicalize(string json) => Canonicalize(Encoding.UTF8.GetBytes(json));

    /// <summary>Serialises a value with System.Text.Json, then canonicalises the result.</summary>
    public static byte[] CanonicalizeValue<T>(T value) => Canonicalize(JsonSerializer.SerializeToUtf8Bytes(value));

    public static string CanonicalizeToString(string json) => Encoding.UTF8.GetString(Canonicalize(json));

    private static JsonDocument Parse(ReadOnlyMemory<byte> utf8Json)
    {
        try
        {
            return JsonDocument.Parse(utf8Json, ParseOptions);
        }
        catch (JsonException ex)
        {
            throw new JsonCanonicalizationException("The input is not valid JSON: " + ex.Message, ex);
        }
    }

    private static void WriteValue(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    WriteValue(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                WriteString(ReadString(element), output);
                break;
            case JsonValueKind.Number:
                if (!element.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    throw new JsonCanonicalizationException($"The number {element.GetRawText()} is not a finite IEEE 754 double.");
                }

                WriteAscii(FormatNumber(number), output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            case JsonValueKind.Null:
                output.Write("null"u8);
                break;
            default:
                throw new JsonCanonicalizationException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var members = new List<(string Name, JsonElement Value)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = ReadName(property);
            if (!names.Add(name))
            {
                throw new JsonCanonicalizationException($"The member name \"{name}\" occurs twice in one object.");
            }

            members.Add((name, property.Value));
        }

        // string.CompareOrdinal compares UTF-16 code units, which is the order RFC 8785 §3.2.3 asks for.
        members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        output.Write("{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            WriteString(members[i].Name, output);
            output.Write(":"u8);
            WriteValue(members[i].Value, output);
        }

        output.Write("}"u8);
    }

    private static string ReadString(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonCanonicalizationException("A string is not valid Unicode (lone surrogate).", ex);
        }
    }

    private static string ReadName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonCanonicalizationException("A member name is not valid Unicode (lone surrogate).", ex);
        }
    }

    /// <summary>Writes a JSON string the way ECMAScript's JSON.stringify does (RFC 8785 §3.2.2.2).</summary>
    internal static void WriteString(string value, IBufferWriter<byte> output)
    {
        output.Write("\""u8);
        var runStart = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= 0x20 && c != '"' && c != '\\')
            {
                continue;
            }

            WriteUtf8(value.AsSpan(runStart, i - runStart), output);
            runStart = i + 1;
            switch (c)
            {
                case '"': output.Write("\\\""u8); break;
                case '\\': output.Write("\\\\"u8); break;
                case '\b': output.Write("\\b"u8); break;
                case '\f': output.Write("\\f"u8); break;
                case '\n': output.Write("\\n"u8); break;
                case '\r': output.Write("\\r"u8); break;
                case '\t': output.Write("\\t"u8); break;
                default: WriteAscii("\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture), output); break;
            }
        }

        WriteUtf8(value.AsSpan(runStart), output);
        output.Write("\""u8);
    }

    private static void WriteUtf8(ReadOnlySpan<char> text, IBufferWriter<byte> output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        int count;
        try
        {
            count = StrictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new JsonCanonicalizationException("A string is not valid Unicode (lone surrogate).", ex);
        }

        var span = output.GetSpan(count);
        StrictUtf8.GetBytes(text, span);
        output.Advance(count);
    }

    private static void WriteAscii(string text, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        output.Advance(text.Length);
    }

    /// <summary>
    /// ECMAScript Number::toString (ECMA-262 §6.1.6.1.20) for a finite double. .NET's round-trip
    /// format yields the same shortest, correctly rounded digits; only the layout differs.
    /// </summary>
    internal static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new JsonCanonicalizationException("NaN and Infinity have no JSON form.");
        }

        if (value == 0)
        {
            return "0"; // also -0
        }

        var negative = value < 0;
        var roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);

        // Split "d.dddE+xx" / "ddd.ddd" into the digit string s and the exponent n with value = 0.s × 10^n.
        var exponentAt = roundTrip.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? roundTrip : roundTrip[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(roundTrip[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        var n = (point < 0 ? mantissa.Length : point) + exponent;
        var leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        digits = digits[leadingZeros..].TrimEnd('0');
        n -= leadingZeros;
        var k = digits.Length;

        var text = new StringBuilder(32);
        if (negative)
        {
            text.Append('-');
        }

        if (k <= n && n <= 21)
        {
            text.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            text.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            text.Append(digits[0]);
            if (k > 1)
            {
                text.Append('.').Append(digits, 1, k - 1);
            }

            var e = n - 1;
            text.Append('e').Append(e < 0 ? '-' : '+').Append(Math.Abs(e).ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}

/// <summary>The input cannot be canonicalised under RFC 8785 (not I-JSON).</summary>
internal sealed class JsonCanonicalizationException(string message, Exception? inner = null) : FormatException(message, inner);
