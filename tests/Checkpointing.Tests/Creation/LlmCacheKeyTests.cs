using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Creation;

public sealed class LlmCacheKeyTests
{
    [Fact]
    public void Create_UsesTheFullSha256OfThePrompt() =>
        // sha256("hello") is 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
        LlmCacheKey.Create("CARD-1", "plan", "hello")
            .Should().Be("CARD-1:plan:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");

    [Fact]
    public void Create_WithModel_AppendsTheModel() =>
        LlmCacheKey.Create("CARD-1", "plan", "hello", "gpt-4o").Should().EndWith(":gpt-4o");

    [Theory]
    [InlineData("é")]
    [InlineData("emoji 🎉 and CJK 漢字")]
    [InlineData(null)]
    public void Create_HashesTheUtf8BytesOfAnyLength(string? prompt)
    {
        prompt ??= new string('x', 20_000) + "é"; // longer than the stack buffer
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))).ToLowerInvariant();

        LlmCacheKey.Create("c", "s", prompt).Should().Be($"c:s:{expected}");
    }
}
