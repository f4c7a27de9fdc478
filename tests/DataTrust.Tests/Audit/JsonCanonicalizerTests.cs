using System.Buffers.Binary;
using System.Text;
using DataTrust.Audit.Integrity;

namespace DataTrust.Tests.Audit;

/// <summary>RFC 8785 examples: §3.2.2 (values), §3.2.3 (sorting), Appendix B (numbers), and I-JSON refusals.</summary>
public sealed class JsonCanonicalizerTests
{
    [Fact]
    public void Section_3_2_2_sample_is_serialised_as_the_RFC_shows()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;

        var canonical = JsonCanonicalizer.Canonicalize(input);

        Encoding.UTF8.GetString(canonical).ShouldBe("{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
        // §3.2.4 gives the same result as UTF-8 bytes; spot-check the start, the euro sign and the end.
        Convert.ToHexStringLower(canonical[..8]).ShouldBe("7b226c6974657261");
        canonical.AsSpan().IndexOf(new byte[] { 0xe2, 0x82, 0xac }).ShouldBeGreaterThan(0);
        Convert.ToHexStringLower(canonical[^3..]).ShouldBe("2f227d");
    }

    [Fact]
    public void Section_3_2_3_members_are_sorted_by_UTF16_code_units()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var canonical = JsonCanonicalizer.CanonicalizeToString(input);

        // U+1F600 (surrogates D83D DE00) sorts before U+FB33 by code units, though after it by code points.
        canonical.ShouldBe("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
            "\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    [Fact]
    public void Only_control_characters_quote_and_backslash_are_escaped()
    {
        JsonCanonicalizer.CanonicalizeToString("\"\\u007f\\u2028</script>\\u0001\\b\\t\\f\"").ShouldBe("\"\u007f\u2028</script>\\u0001\\b\\t\\f\"");
    }

    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("8000000000000001", "-5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("ffefffffffffffff", "-1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("c340000000000000", "-9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af5", "9.999999999999997e+22")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("44b52d02c7e14af7", "1.0000000000000001e+23")]
    [InlineData("444b1ae4d6e2ef4e", "999999999999999700000")]
    [InlineData("444b1ae4d6e2ef4f", "999999999999999900000")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555553", "333333333.3333332")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("41b3de4355555555", "333333333.3333333")]
    [InlineData("41b3de4355555556", "333333333.3333334")]
    [InlineData("41b3de4355555557", "333333333.33333343")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void Appendix_B_numbers(string ieee754, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieee754)));

        JsonCanonicalizer.FormatNumber(value).ShouldBe(expected);
        // and through the parser: the shortest form reads back to the same double
        JsonCanonicalizer.CanonicalizeToString($"[{expected}]").ShouldBe($"[{expected}]");
    }

    [Theory]
    [InlineData("7fffffffffffffff")]
    [InlineData("7ff0000000000000")]
    [InlineData("fff0000000000000")]
    public void NaN_and_infinities_have_no_canonical_form(string ieee754)
    {
        var value = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Convert.FromHexString(ieee754)));

        Should.Throw<JsonCanonicalizationException>(() => JsonCanonicalizer.FormatNumber(value));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"a\":1,\"\\u0061\":2}")]
    [InlineData("[1e400]")]
    [InlineData("\"\\ud800\"")]
    [InlineData("{\"\\udc00\":1}")]
    [InlineData("[1,]")]
    [InlineData("{\"a\":1} x")]
    public void Input_outside_I_JSON_is_refused(string input)
    {
        Should.Throw<JsonCanonicalizationException>(() => JsonCanonicalizer.Canonicalize(input));
    }

    [Fact]
    public void Canonical_output_is_a_fixed_point()
    {
        const string input = "{ \"z\": [ 1.0, -0, 1E2, \"x\" ], \"a\": { \"c\": null, \"b\": true } }";

        var once = JsonCanonicalizer.CanonicalizeToString(input);

        once.ShouldBe("{\"a\":{\"b\":true,\"c\":null},\"z\":[1,0,100,\"x\"]}");
        JsonCanonicalizer.CanonicalizeToString(once).ShouldBe(once);
    }
}
