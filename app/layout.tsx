import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Countersign", template: "%s — Countersign" },
  description: "Human countersignature for privileged AI-agent actions.",
  // public/: the SVG for browsers that take one, the .ico for the rest (and for /favicon.ico
  // requests), a full-bleed PNG for iOS home screens. proxy.ts lets anonymous visitors fetch them.
  icons: {
    icon: [
      { url: "/icon.svg", type: "image/svg+xml" },
      { url: "/favicon.ico", sizes: "16x16 32x32 48x48" },
    ],
    apple: { url: "/apple-touch-icon.png", sizes: "180x180" },
  },
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">{children}</body>
    </html>
  );
}
