import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv";

describe("parseDotenv", () => {
  it("reads plain, exported, quoted and commented assignments", () => {
    const text = [
      "# dev values",
      "API_KEY=abc123 # inline",
      "export JWT_SECRET='s3cr=t #not a comment'",
      'PEM="line1\\nline2"',
      "",
      "EMPTY=",
    ].join("\n");
    expect(parseDotenv(text, ".env")).toEqual({
      API_KEY: "abc123",
      JWT_SECRET: "s3cr=t #not a comment",
      PEM: "line1\nline2",
      EMPTY: "",
    });
  });

  it("names the line of something that is not an assignment, without quoting it", () => {
    expect(() => parseDotenv("A=1\nhunter2 secret\n", ".env.local")).toThrow(
      /^\.env\.local:2 is not KEY=value$/,
    );
  });
});
