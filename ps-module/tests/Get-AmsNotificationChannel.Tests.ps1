#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsNotificationChannel, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsNotificationChannel' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists every channel, or one by name' {
        $null = Get-AmsNotificationChannel
        $null = Get-AmsNotificationChannel -Name 'SecOps'
        $calls = @(Get-AmsStubCall)
        $calls[0].Line | Should -BeExactly 'notification-channel get'
        $calls[1].Line | Should -BeExactly 'notification-channel get --name SecOps'
    }
}
