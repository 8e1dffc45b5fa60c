using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.AI;
using Xunit;

namespace Checkpointing.Extensions.AI.Tests;

public sealed class ChatRequestKeyTests
{
    private static readonly CheckpointingChatClient Middleware = new(new Support.CountingChatClient());

    private static readonly ChatMessage[] Messages =
    [
        new(ChatRole.System, "You are terse."),
        new(ChatRole.User, [new TextContent("Describe this"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]),
    ];

    [Fact]
    public void CanonicalForm_KnownRequest_IsPinned()
    {
        var request = Middleware.CreateRequest(Messages, new ChatOptions { ModelId = "gpt-4o", Temperature = 0.5f, Seed = 7 });

        request.GetCanonicalJson().Should().Be(
            """{"extras":{"chat":{"messages":[{"contents":[{"text":"You are terse.","type":"text"}],"role":"system"},{"contents":[{"text":"Describe this","type":"text"},{"media_type":"image/png","sha256":"039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81","type":"data"}],"role":"user"}],"options":{"model_id":"gpt-4o","seed":7,"temperature":0.5},"v":1}},"messages":[{"content":"You are terse.","role":"system"},{"content":"Describe this","role":"user"}],"model":"gpt-4o","v":1}""");
        request.CacheKey.Should().Be("a31475ca22991c9ecd361b2b3770673ab70c5ed08546a5a38e0c2b775f5b5e52", "the key is the SHA-256 of that JSON");
    }

    [Fact]
    public void CacheKey_IsIndependentOfAdditionalPropertyOrder()
    {
        var a = new ChatOptions { AdditionalProperties = new() { ["x"] = 1, ["y"] = "z" } };
        var b = new ChatOptions { AdditionalProperties = new() { ["y"] = "z", ["x"] = 1 } };

        Key(Messages, a).Should().Be(Key(Messages, b));
    }

    public static TheoryData<string> Changes() =>
    [
        "model", "instructions", "temperature", "top_p", "top_k", "max_output_tokens", "stop", "seed", "frequency", "presence",
        "format_json", "format_schema", "tool_name", "tool_description", "tool_schema", "tool_mode_required", "tool_mode_none",
        "additional", "conversation", "image", "role", "text", "function_call_args", "function_result",
    ];

    [Theory]
    [MemberData(nameof(Changes))]
    public void CacheKey_ChangesWithEverythingThatChangesTheAnswer(string change)
    {
        var (baseMessages, baseOptions) = Baseline();
        var (messages, options) = Baseline();
        switch (change)
        {
            case "model": options.ModelId = "other"; break;
            case "instructions": options.Instructions = "be verbose"; break;
            case "temperature": options.Temperature = 0.9f; break;
            case "top_p": options.TopP = 0.5f; break;
            case "top_k": options.TopK = 5; break;
            case "max_output_tokens": options.MaxOutputTokens = 10; break;
            case "stop": options.StopSequences = ["END"]; break;
            case "seed": options.Seed = 8; break;
            case "frequency": options.FrequencyPenalty = 0.1f; break;
            case "presence": options.PresencePenalty = 0.1f; break;
            case "format_json": options.ResponseFormat = ChatResponseFormat.Json; break;
            case "format_schema": options.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"b":{"type":"string"}}}""").RootElement, "answer"); break;
            case "tool_name": options.Tools = [Tool("lookup2", "Looks up a city", """{"type":"object"}""")]; break;
            case "tool_description": options.Tools = [Tool("lookup", "Looks up a town", """{"type":"object"}""")]; break;
            case "tool_schema": options.Tools = [Tool("lookup", "Looks up a city", """{"type":"object","properties":{"c":{"type":"string"}}}""")]; break;
            case "tool_mode_required": options.ToolMode = ChatToolMode.RequireSpecific("lookup"); break;
            case "tool_mode_none": options.ToolMode = ChatToolMode.None; break;
            case "additional": options.AdditionalProperties!["x"] = 2; break;
            case "conversation": options.ConversationId = "conv-2"; break;
            case "image": messages[1] = new ChatMessage(ChatRole.User, [new TextContent("Describe this"), new DataContent(new byte[] { 1, 2, 4 }, "image/png")]); break;
            case "role": messages[0] = new ChatMessage(ChatRole.User, "You are terse."); break;
            case "text": messages[1] = new ChatMessage(ChatRole.User, "Describe that"); break;
            case "function_call_args": messages[2] = CallMessage("Bergen"); break;
            case "function_result": messages[3] = ResultMessage(22); break;
            default: throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }

        Key(messages, options).Should().NotBe(Key(baseMessages, baseOptions), $"changing {change} changes the answer");
    }

    [Fact]
    public void CacheKey_OptionsThatSetNothing_AreNoOptions()
    {
        Middleware.CreateRequest(Messages, new ChatOptions()).CacheKey.Should().Be(Middleware.CreateRequest(Messages, null).CacheKey);
        Middleware.CreateRequest(Messages, new ChatOptions { Temperature = 0 }).CacheKey
            .Should().NotBe(Middleware.CreateRequest(Messages, null).CacheKey, "a setting, even a zero, changes the answer");
    }

    [Fact]
    public void CacheKey_EqualRequestsBuiltSeparately_AreEqual()
    {
        var (a, aOptions) = Baseline();
        var (b, bOptions) = Baseline();

        Key(a, aOptions).Should().Be(Key(b, bOptions));
    }

    private static string Key(IEnumerable<ChatMessage> messages, ChatOptions options) => Middleware.CreateRequest(messages, options).CacheKey;

    private static (ChatMessage[] Messages, ChatOptions Options) Baseline() =>
    (
        [
            new(ChatRole.System, "You are terse."),
            new(ChatRole.User, [new TextContent("Describe this"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]),
            CallMessage("Oslo"),
            ResultMessage(21),
        ],
        new ChatOptions
        {
            ModelId = "gpt-4o",
            Tools = [Tool("lookup", "Looks up a city", """{"type":"object"}""")],
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""").RootElement, "answer"),
            AdditionalProperties = new() { ["x"] = 1 },
        }
    );

    private static ChatMessage CallMessage(string city) =>
        new(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup", new Dictionary<string, object?> { ["city"] = city })]);

    private static ChatMessage ResultMessage(int celsius) =>
        new(ChatRole.Tool, [new FunctionResultContent("call-1", celsius)]);

    private static AIFunction Tool(string name, string description, string schema) =>
        new SchemaFunction(AIFunctionFactory.Create(() => "x"), name, description, JsonDocument.Parse(schema).RootElement);

    /// <summary>A function declaration with a given name, description and parameter schema.</summary>
    private sealed class SchemaFunction(AIFunction inner, string name, string description, JsonElement schema) : DelegatingAIFunction(inner)
    {
        public override string Name => name;

        public override string Description => description;

        public override JsonElement JsonSchema => schema;
    }
}
