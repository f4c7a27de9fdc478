using System.Text;
using DataTrust.Accounts.TwoFactor;

namespace DataTrust.Tests.Accounts;

public sealed class TotpTests
{
    // RFC 6238 Appendix B, SHA-1 rows (8 digits, key "12345678901234567890").
    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void Codes_match_the_RFC_6238_test_vectors(long unixTime, string expected)
    {
        var key = Encoding.ASCII.GetBytes("12345678901234567890");

        Totp.Code(key, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime)), digits: 8).ShouldBe(expected);
    }

    // RFC 4648 §10 test vectors.
    [Theory]
    [InlineData("", "")]
    [InlineData("MY======", "f")]
    [InlineData("MZXQ====", "fo")]
    [InlineData("MZXW6===", "foo")]
    [InlineData("MZXW6YQ=", "foob")]
    [InlineData("MZXW6YTB", "fooba")]
    [InlineData("mzxw 6ytb oi", "foobar")]
    public void Base32_decodes_the_RFC_4648_vectors(string encoded, string expected)
    {
        Encoding.ASCII.GetString(Totp.DecodeBase32(encoded)!).ShouldBe(expected);
    }

    [Theory]
    [InlineData("MZXW1")]
    [InlineData("MZ!W6")]
    public void Base32_refuses_characters_outside_its_alphabet(string encoded)
    {
        Totp.DecodeBase32(encoded).ShouldBeNull();
    }
}
